//! The web pages through real HTTP on 127.0.0.1, on SQLite and on PostgreSQL, checked on
//! the HTML: login and its cookie, forgery protection, the security headers, escaping of
//! hostile feed text, isolation (the same 404 for another publisher's article as for none),
//! the dashboard's counts, the editor's refusal and the diagnostics' source excerpts.

use crate::kit;
use iarss::store::FeedKind;
use kit::api::{Api, NEWS, SPORT, q};
use kit::publishing::{article, ingest, url};
use scraper::{Html, Selector};

macro_rules! web_on_both_backends {
    ($($scenario:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[test]
                fn $scenario() {
                    let db = crate::kit::api::sqlite_db(concat!("web_", stringify!($scenario)));
                    crate::kit::api::block_on(super::$scenario(&db));
                }
            )*
        }
        mod postgres {
            $(
                #[test]
                fn $scenario() {
                    let db = crate::kit::PgDb::create(concat!("web_", stringify!($scenario)));
                    crate::kit::api::block_on(super::$scenario(db.url()));
                }
            )*
        }
    };
}

web_on_both_backends!(
    login_cookie_and_forgery,
    pages_escape_and_isolate,
    editor_refuses_errors,
    store_trouble_on_the_dashboard,
    failing_feeds_fill_the_screen,
    forms_cookies_and_addresses_cannot_be_played,
    a_trusted_proxy_names_the_client,
    each_feed_shows_its_rejected_items,
    account_self_service,
    confirmations_and_the_last_operator,
    check_page_validates_without_storing,
    dashboard_pages_both_ways,
    article_lists_filter_and_page_both_ways,
);

/// The Production list narrowed to articles with warnings, and paged both ways.
async fn article_lists_filter_and_page_both_ways(db: &str) {
    let api = Api::start(db).await;
    for i in 0..57 {
        let mut a = article(&url(&format!("list/{i:02}")));
        if i % 20 == 0 {
            a = a.warning();
        }
        assert_eq!(api.import(NEWS, &a.html(), true).await.status, 201);
    }
    let mut browser = Browser::new(&api);
    browser.login("pub@example.com").await;
    let rows = |page: &Page| page.select("table.articles tbody tr").len();
    let link = |page: &Page, rel: &str| {
        let doc = page.doc();
        doc.select(&Selector::parse(&format!("nav.pager a[rel={rel}]")).unwrap())
            .next()
            .and_then(|a| a.value().attr("href"))
            .map(str::to_string)
    };
    let warned = browser
        .get("/pages/news?tab=production&filter=warnings")
        .await;
    assert_eq!(rows(&warned), 3, "{}", warned.body);
    assert_eq!(
        warned.select("nav.filters a.chosen"),
        vec!["With warnings (3)"]
    );
    // Each filter says how many it keeps, before it is chosen.
    assert_eq!(
        warned.select("nav.filters a"),
        vec![
            "All (57)",
            "Newer version rejected (0)",
            "With warnings (3)",
            "Ignored update pending (0)"
        ]
    );
    // Under a search the counts (of the whole tab) would mislead: none is shown.
    let searched = browser
        .get("/pages/news?tab=production&filter=warnings&q=list%2F2")
        .await;
    assert_eq!(rows(&searched), 1, "{}", searched.body);
    assert_eq!(
        searched.select("nav.filters a.chosen"),
        vec!["With warnings"]
    );
    // Drafts are counted apart from live articles.
    let drafts = browser.get("/pages/news?tab=development").await;
    assert_eq!(drafts.select("nav.filters a")[0], "All (0)");
    assert_eq!(rows(&browser.get("/pages/news?filter=errors").await), 0);
    let first = browser.get("/pages/news").await;
    assert_eq!(rows(&first), 50);
    assert_eq!(link(&first, "prev"), None);
    let second = browser.get(&link(&first, "next").expect("Next")).await;
    assert_eq!(rows(&second), 7);
    let back = browser.get(&link(&second, "prev").expect("Previous")).await;
    assert_eq!(
        back.select("table.articles tbody th a"),
        first.select("table.articles tbody th a")
    );
    api.stop().await;
}

/// The dashboard a screen at a time: Next, then Previous back to the same screens.
async fn dashboard_pages_both_ways(db: &str) {
    let api = Api::start(db).await;
    for i in 0..110 {
        api.store
            .add_page(&iarss::store::NewPage {
                id: format!("p{i:03}"),
                name: format!("Page {i:03}"),
                domain: iarss::model::Domain::parse(&format!("p{i:03}.example.net")).unwrap(),
                feed_url: None,
                dev_feed_url: None,
                enabled: false,
            })
            .await
            .unwrap();
    }
    let mut op = Browser::new(&api);
    op.login("op@example.com").await;
    let link = |page: &Page, rel: &str| {
        let doc = page.doc();
        doc.select(&Selector::parse(&format!("nav.pager a[rel={rel}]")).unwrap())
            .next()
            .and_then(|a| a.value().attr("href"))
            .map(str::to_string)
    };
    let names = |page: &Page| page.select("table.pages tbody th a");
    let first = op.get("/").await;
    assert_eq!(link(&first, "prev"), None);
    let second = op.get(&link(&first, "next").expect("Next")).await;
    let third = op.get(&link(&second, "next").expect("Next")).await;
    assert_eq!(link(&third, "next"), None, "112 pages: three screens");
    let back = op.get(&link(&third, "prev").expect("Previous")).await;
    assert_eq!(names(&back), names(&second));
    let front = op.get(&link(&back, "prev").expect("Previous")).await;
    assert_eq!(names(&front), names(&first));
    assert_eq!(link(&front, "prev"), None);

    // Too many pages to pick from a list: /check asks for the page's id instead.
    let check = op.get("/check?page=p042").await;
    assert_eq!(check.status, 200);
    assert!(
        check.select("select#feed-page").is_empty(),
        "{}",
        check.body
    );
    let typed = check.doc();
    let typed = typed
        .select(&Selector::parse("input#feed-page").unwrap())
        .next()
        .expect("a page id field");
    assert_eq!(typed.value().attr("value"), Some("p042"));
    // A publisher with a page or two still picks from a list.
    let mut publisher = Browser::new(&api);
    publisher.login("pub@example.com").await;
    let theirs = publisher.get("/check").await;
    assert_eq!(theirs.select("select#feed-page option").len(), 1);

    // A disabled page offers no fetch that no daemon would make, and the API refuses it.
    let disabled = op.get("/pages/p007?tab=feed").await;
    assert!(
        disabled
            .select("form[action$='/fetch-now'] button")
            .is_empty(),
        "{}",
        disabled.body
    );
    assert!(disabled.body.contains("This page is disabled"));
    let refused = api
        .send(
            "POST",
            "/api/v1/pages/p007/fetch-now",
            Some(&api.operator),
            None,
            Vec::new(),
        )
        .await;
    assert_eq!(refused.status, 409, "{}", refused.text());

    // A mistyped page id: the not-found page keeps the user's navigation.
    let typo = op.get("/pages/p9999").await;
    assert_eq!(typo.status, 404);
    assert_eq!(
        typo.select("nav.main a"),
        vec!["Pages", "Check", "Rules", "Audit", "Users"]
    );
    assert_eq!(typo.select("header a.who"), vec!["op@example.com"]);
    let nowhere = publisher.get("/no/such/address").await;
    assert_eq!(nowhere.status, 404);
    assert_eq!(
        nowhere.select("nav.main a"),
        vec!["Pages", "Check", "Rules"]
    );
    api.stop().await;
}

/// `/check`: pasted HTML is checked as an item of a page; a pasted feed is dry-run against
/// the store (what each item would do) and nothing is written; a rejected item of the Feed
/// tab opens here with its HTML and its errors.
async fn check_page_validates_without_storing(db: &str) {
    let api = Api::start(db).await;
    let mut browser = Browser::new(&api);
    browser.login("pub@example.com").await;
    let form = browser.get("/check").await;
    assert_eq!(form.status, 200);
    assert!(form.select("nav.main a").iter().any(|a| a == "Check"));
    let good = url("check/good");
    let checked = browser
        .post(
            "/check",
            &[
                ("mode", "html"),
                ("page", NEWS),
                ("html", &article(&good).html()),
            ],
        )
        .await;
    assert_eq!(checked.status, 200, "{}", checked.body);
    assert_eq!(
        checked.select("#verdict"),
        vec!["Accepted: no error and no warning."]
    );
    let broken = browser
        .post(
            "/check",
            &[
                ("mode", "html"),
                ("page", NEWS),
                ("html", &article(&good).broken().html()),
            ],
        )
        .await;
    assert!(broken.select("#verdict")[0].starts_with("Rejected: 1 error, 0 warnings"));
    assert!(!broken.select("#result pre.excerpt mark").is_empty());
    // Another page's domain: the pasted article is not news's.
    let sport = browser
        .post(
            "/check",
            &[
                ("mode", "html"),
                ("page", SPORT),
                ("html", &article(&good).html()),
            ],
        )
        .await;
    assert_eq!(sport.status, 404, "not a page of this publisher");

    let feed = kit::publishing::rss(&[article(&good), article(&url("check/bad")).broken()]);
    let dry = browser
        .post(
            "/check",
            &[
                ("mode", "feed"),
                ("page", NEWS),
                ("feed", "production"),
                ("feed_text", &feed),
            ],
        )
        .await;
    assert_eq!(dry.status, 200, "{}", dry.body);
    assert!(
        dry.select("#verdict")[0].starts_with("1 item would be rejected of 2"),
        "{:?}",
        dry.select("#verdict")
    );
    assert_eq!(dry.select("#result li.item.error").len(), 1);
    // The same feed as an uploaded file; without the form token, refused.
    let upload = |token: String| {
        let b = "iarss-boundary-7d3f";
        let field = |name: &str, value: &str| {
            format!("--{b}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n")
        };
        let body = format!(
            "{}{}{}--{b}\r\nContent-Disposition: form-data; name=\"feed_file\"; \
             filename=\"feed.xml\"\r\nContent-Type: application/rss+xml\r\n\r\n{feed}\r\n--{b}--\r\n",
            field("form_token", &token),
            field("page", NEWS),
            field("feed", "production"),
        );
        browser
            .client
            .post(format!("{}/check/feed-file", browser.base))
            .header("cookie", browser.cookie.clone().unwrap())
            .header("content-type", format!("multipart/form-data; boundary={b}"))
            .body(body)
            .send()
    };
    let uploaded = upload(browser.form_token.clone()).await.unwrap();
    assert_eq!(uploaded.status().as_u16(), 200);
    let uploaded = uploaded.text().await.unwrap();
    assert!(
        uploaded.contains("feed.xml, as page news&#39;s production feed (nothing written)"),
        "{uploaded}"
    );
    assert!(
        uploaded.contains("1 item would be rejected of 2"),
        "{uploaded}"
    );
    let forged = upload("not the token".into()).await.unwrap();
    assert_eq!(forged.status().as_u16(), 403);
    assert_eq!(
        api.get(
            &format!("/api/v1/articles?url={}", q(&good)),
            &api.publisher
        )
        .await
        .status,
        404,
        "a dry run stores nothing"
    );

    // A rejected item of the Feed tab opens here.
    let page = api.store.page(NEWS).await.unwrap().unwrap();
    let mut bridge = article(&url("bridge")).broken();
    bridge.title = "Storm closes the bridge".into();
    ingest(&api.store, &page, FeedKind::Production, &[bridge]).await;
    let tab = browser.get("/pages/news?tab=feed").await;
    let doc = tab.doc();
    let open = doc
        .select(&Selector::parse("#feed-production a.button[href^='/check?']").unwrap())
        .next()
        .and_then(|a| a.value().attr("href"))
        .expect("Open in the checker")
        .to_string();
    let opened = browser.get(&open).await;
    assert_eq!(opened.status, 200, "{}", opened.body);
    assert!(opened.select("#result p.hint")[0].contains("Storm closes the bridge"));
    assert!(opened.select("#html-source")[0].contains("<h1>Storm closes the bridge</h1>"));
    assert!(opened.body.contains("missing-op-published"));
    let outsider = {
        let mut b = Browser::new(&api);
        b.login("other@example.org").await;
        b.get(&open).await.status
    };
    assert_eq!(outsider, 404);
    api.stop().await;
}

/// `/account`: a wrong current password changes nothing; the right one changes it and signs
/// out the user's other sessions but not this one; own tokens are created (shown once),
/// work, and are revoked after a question; another user's token is not one's own.
async fn account_self_service(db: &str) {
    let api = Api::start(db).await;
    let mut browser = Browser::new(&api);
    browser.login("pub@example.com").await;
    let mut elsewhere = Browser::new(&api);
    elsewhere.login("pub@example.com").await;
    let page = browser.get("/account").await;
    assert_eq!(page.status, 200);
    assert_eq!(page.select("h1"), vec!["Your account"]);
    assert_eq!(page.select("ul.plain li strong"), vec!["This browser"]);
    assert_eq!(
        page.select("form[action='/account/sessions/end-others'] button"),
        vec!["Sign out the other sessions"]
    );
    let new = "a much better passphrase";
    let wrong = browser
        .post(
            "/account/password",
            &[
                ("current", "not my password"),
                ("new", new),
                ("repeat", new),
            ],
        )
        .await;
    assert_eq!(wrong.status, 422);
    assert!(wrong.body.contains("the current password is not right"));
    assert_eq!(elsewhere.get("/").await.status, 200);
    let changed = browser
        .post(
            "/account/password",
            &[("current", PASSWORD), ("new", new), ("repeat", new)],
        )
        .await;
    assert_eq!(changed.status, 303, "{}", changed.body);
    assert_eq!(browser.get("/").await.status, 200, "this session stays");
    assert_eq!(elsewhere.get("/").await.status, 303, "the other one ended");
    let relogin = api
        .access
        .login("pub@example.com", new, "127.0.0.1")
        .await
        .unwrap();
    assert!(matches!(
        relogin,
        iarss::access::LoginOutcome::Success { .. }
    ));

    // Own tokens.
    let created = browser.post("/account/tokens", &[("name", "cms")]).await;
    assert_eq!(created.status, 200);
    let token = created.select("#new-token").concat();
    assert!(token.starts_with("iarss_"), "{}", created.body);
    assert_eq!(api.get("/api/v1/pages", &token).await.status, 200);
    let doc = created.doc();
    let revoke_href = doc
        .select(&Selector::parse("a[href^='/account/tokens/revoke?id=']").unwrap())
        .next_back()
        .and_then(|a| a.value().attr("href"))
        .expect("a Revoke link of the newest token")
        .to_string();
    let id = revoke_href.rsplit('=').next().unwrap().to_string();
    let question = browser.get(&revoke_href).await;
    assert_eq!(question.status, 200);
    assert!(question.body.contains("401"), "{}", question.body);
    assert_eq!(
        api.get("/api/v1/pages", &token).await.status,
        200,
        "asked only"
    );
    let revoked = browser.post("/account/tokens/revoke", &[("id", &id)]).await;
    assert_eq!(revoked.status, 303);
    assert_eq!(api.get("/api/v1/pages", &token).await.status, 401);
    assert_eq!(api.get("/api/v1/pages", &api.publisher).await.status, 200);
    // Someone else's token is not one's own to revoke.
    let theirs = api
        .access
        .tokens(Some("other@example.org"))
        .await
        .unwrap()
        .into_iter()
        .next()
        .unwrap()
        .id
        .to_string();
    let refused = browser
        .post("/account/tokens/revoke", &[("id", &theirs)])
        .await;
    assert_eq!(refused.status, 404);
    api.stop().await;
}

/// Actions that change or remove something ask first and say what happens next; no one
/// removes themselves and the last operator stays, on the web too.
async fn confirmations_and_the_last_operator(db: &str) {
    let api = Api::start(db).await;
    let mut op = Browser::new(&api);
    op.login("op@example.com").await;
    let users = op.get("/admin/users").await;
    assert!(
        users
            .select("a[href^='/admin/users/remove']")
            .iter()
            .all(|a| a == "Remove user…")
    );
    let doc = users.doc();
    let removable: Vec<String> = doc
        .select(&Selector::parse("a[href^='/admin/users/remove']").unwrap())
        .filter_map(|a| a.value().attr("href").map(str::to_string))
        .collect();
    assert!(
        !removable.iter().any(|h| h.contains("op%40example.com")),
        "{removable:?}"
    );
    assert!(users.body.contains("the last operator") || users.body.contains("you (another"));
    let own = op.get("/admin/users/remove?email=op%40example.com").await;
    assert_eq!(own.status, 200);
    assert!(own.body.contains("You cannot remove yourself"));
    assert!(own.select("form[action='/admin/users/remove']").is_empty());
    let refused = op
        .post("/admin/users/remove", &[("email", "op@example.com")])
        .await;
    assert_ne!(refused.status, 303, "{}", refused.body);
    let question = op.get("/admin/users/remove?email=pub%40example.com").await;
    assert!(question.body.contains("What happens next"));
    assert!(question.body.contains("stop working"));
    assert!(api.access.user("pub@example.com").await.unwrap().is_some());
    let removed = op
        .post("/admin/users/remove", &[("email", "pub@example.com")])
        .await;
    assert_eq!(removed.status, 303);
    assert!(api.access.user("pub@example.com").await.unwrap().is_none());

    // Deleting an article says it comes back while the feed carries it.
    let url = format!("https://{}/confirm", kit::api::NEWS_DOMAIN);
    assert_eq!(
        api.import(NEWS, &article(&url).html(), true).await.status,
        201
    );
    let delete = op.get(&format!("/articles/delete?url={}", q(&url))).await;
    assert!(delete.body.contains("the next feed run inserts it again"));
    // A publisher gets no operator question.
    let mut publisher = Browser::new(&api);
    publisher.login("other@example.org").await;
    assert_eq!(
        publisher
            .get("/admin/users/remove?email=op%40example.com")
            .await
            .status,
        403
    );
    api.stop().await;
}

/// The production feed rejects items while the development feed ran last: the Feed tab
/// still shows production's rejected items (title, guid, error with its excerpt) beside
/// development's items with warnings; each links to the run that read it; the dashboard
/// counts the rejections; the article whose newer version was rejected says so in its
/// verdict, lists that version's errors, and the API's article read returns them.
async fn each_feed_shows_its_rejected_items(db: &str) {
    let api = Api::start(db).await;
    let patched = api
        .json(
            "PATCH",
            "/api/v1/pages/news",
            &api.operator,
            &serde_json::json!({ "dev_feed_url": "https://example.com/dev.rss" }),
        )
        .await;
    assert_eq!(patched.status, 200, "{}", patched.text());
    let page = api.store.page(NEWS).await.unwrap().unwrap();
    let harbour = url("harbour");
    ingest(
        &api.store,
        &page,
        FeedKind::Production,
        &[article(&harbour)],
    )
    .await;
    let mut bridge = article(&url("bridge")).broken();
    bridge.title = "Storm closes the bridge".into();
    let harbour_fixed = article(&harbour).modified("2024-03-10T09:00:00Z").broken();
    ingest(
        &api.store,
        &page,
        FeedKind::Production,
        &[harbour_fixed, bridge],
    )
    .await;
    let mut draft = article(&url("preview")).warning();
    draft.title = "Preview with an empty paragraph".into();
    ingest(&api.store, &page, FeedKind::Development, &[draft]).await;

    let mut browser = Browser::new(&api);
    browser.login("pub@example.com").await;
    let home = browser.get("/").await;
    assert_eq!(
        home.select("[data-count=rejected]"),
        vec!["2"],
        "{}",
        home.body
    );

    let feed = browser.get("/pages/news?tab=feed").await;
    assert_eq!(feed.status, 200);
    let production = feed.select("#feed-production li.item.error h4");
    assert_eq!(
        production,
        vec!["Harbour reopens after storm", "Storm closes the bridge"],
        "{}",
        feed.body
    );
    let section = feed.select("#feed-production").concat();
    assert!(section.contains("2 rejected items"), "{section}");
    assert!(section.contains(&url("bridge")), "the guid: {section}");
    assert!(section.contains("missing-op-published"), "{section}");
    assert!(
        !feed
            .select("#feed-production li.item.error pre.excerpt mark")
            .is_empty(),
        "the spot in the feed marked"
    );
    let warned = feed.select("#feed-development li.item.warning h4");
    assert_eq!(warned, vec!["Preview with an empty paragraph"]);
    assert!(
        feed.select("#feed-development")
            .concat()
            .contains("empty-element")
    );
    assert!(
        feed.select("#feed-development li.item.error").is_empty(),
        "development rejected nothing"
    );

    // The run that read production has its own page, with all it found.
    let doc = feed.doc();
    let run_link = doc
        .select(&Selector::parse("#feed-production p.hint a").unwrap())
        .next()
        .and_then(|a| a.value().attr("href"))
        .expect("a link to the run")
        .to_string();
    let run = browser.get(&run_link).await;
    assert_eq!(run.status, 200, "{run_link}");
    assert!(run.select("h1")[0].starts_with("Run "));
    assert_eq!(
        run.select("li.item.error h3"),
        vec!["Harbour reopens after storm", "Storm closes the bridge"]
    );
    // The run of another page is not found on this one.
    let elsewhere = browser
        .get(&run_link.replace("/pages/news/", "/pages/sport/"))
        .await;
    assert_eq!(elsewhere.status, 404);

    // The article page: the verdict, then the refused version's errors.
    let shown = browser.get(&format!("/articles?url={}", q(&harbour))).await;
    let verdict = shown.select("#verdict").concat();
    assert!(
        verdict.starts_with("Live. The production feed's newest version (op-modified")
            && verdict.contains("was rejected: missing-op-published")
            && verdict.contains("readers see the version of"),
        "{verdict}"
    );
    let refused = shown
        .select("#rejected-production ~ ol li.diag.error")
        .concat();
    assert!(refused.contains("missing-op-published"), "{}", shown.body);
    assert!(
        shown
            .select("dd")
            .iter()
            .any(|d| d == "1 error, 0 warnings"),
        "{:?}",
        shown.select("dd")
    );
    let read = api
        .get(
            &format!("/api/v1/articles?url={}", q(&harbour)),
            &api.publisher,
        )
        .await;
    let body = read.json();
    assert_eq!(body["errors"], 1);
    let rejected = &body["rejected_versions"][0];
    assert_eq!(rejected["feed"], "production", "{body}");
    assert_eq!(
        rejected["diagnostics"][0]["rule"], "missing-op-published",
        "{body}"
    );
    api.stop().await;
}

/// What an attacker could try against the forms and cookies: a plain session cookie
/// planted before the `__Host-` one, an operator's form sent by a publisher, control
/// characters in a query or a field, an `X-Forwarded-For` from a client that is no proxy.
async fn forms_cookies_and_addresses_cannot_be_played(db: &str) {
    let api = Api::start(db).await;
    let mut publisher = Browser::new(&api);
    publisher.login("pub@example.com").await;
    let mut operator = Browser::new(&api);
    operator.login("op@example.com").await;
    let value = |b: &Browser| {
        b.cookie
            .clone()
            .unwrap()
            .split_once('=')
            .unwrap()
            .1
            .to_string()
    };

    // The `__Host-` cookie wins over a plain one of the same name sent before it.
    let planted = format!(
        "iarss_session={}; __Host-iarss_session={}",
        value(&publisher),
        value(&operator)
    );
    let mut anonymous = Browser::new(&api);
    anonymous.cookie = Some(planted);
    let users = anonymous.get("/admin/users").await;
    assert_eq!(users.status, 200, "read as the operator's session");

    // An operator's form from a publisher: 403 before its fields are read, whatever they
    // are.
    for (path, form) in [
        ("/admin/users", vec![("email", "x@example.com")]),
        ("/admin/users/remove", vec![]),
        ("/admin/tokens", vec![("email", "op@example.com")]),
        ("/admin/tokens/revoke", vec![("id", "not a number")]),
        ("/admin/users/pages", vec![]),
    ] {
        let page = publisher.post(path, &form).await;
        assert_eq!(page.status, 403, "{path}: {}", page.body);
    }
    assert_eq!(publisher.get("/admin/users").await.status, 403);

    // A control character XML forbids in a query parameter or a form field: 400.
    let nul = operator.get(&format!("/pages/{NEWS}?q=%00")).await;
    assert_eq!(nul.status, 400, "{}", nul.body);
    let escape = operator.get(&format!("/pages/{NEWS}?q=a%1Bb")).await;
    assert_eq!(escape.status, 400);
    let field = operator
        .post(
            "/admin/users",
            &[
                ("email", "a\u{0}b@example.com"),
                ("password", "x"),
                ("role", "publisher"),
            ],
        )
        .await;
    assert_eq!(field.status, 400, "{}", field.body);
    assert!(field.body.contains("control character"), "{}", field.body);

    // No proxy is trusted by default: a client's X-Forwarded-For is not its address.
    let guesser = Browser::new(&api);
    for i in 0..6 {
        guesser
            .send(
                reqwest::Method::POST,
                "/login",
                &[("email", "pub@example.com"), ("password", "wrong password")],
                &[("x-forwarded-for", &format!("198.51.100.{i}"))],
            )
            .await;
    }
    let locked = guesser
        .send(
            reqwest::Method::POST,
            "/login",
            &[("email", "pub@example.com"), ("password", PASSWORD)],
            &[("x-forwarded-for", "198.51.100.200")],
        )
        .await;
    assert_eq!(locked.status, 429, "the forged addresses were one address");
    let audit = api.access.audit_log(None, 100).await.unwrap();
    assert!(
        audit
            .iter()
            .filter(|e| e.action == "login_failed")
            .all(|e| e.address.as_deref() == Some("127.0.0.1")),
        "{audit:?}"
    );
    api.stop().await;
}

/// Behind a trusted proxy the right-most address of `X-Forwarded-For` that is not a proxy
/// is the client's: what the audit log records and the login limits count.
async fn a_trusted_proxy_names_the_client(db: &str) {
    let api = Api::start_configured(
        db,
        kit::api::ApiOptions {
            trusted_proxies: vec!["127.0.0.0/8".parse().unwrap()],
            ..Default::default()
        },
    )
    .await;
    let browser = Browser::new(&api);
    browser
        .send(
            reqwest::Method::POST,
            "/login",
            &[("email", "pub@example.com"), ("password", "wrong password")],
            &[("x-forwarded-for", "203.0.113.9, 198.51.100.7, 127.0.0.1")],
        )
        .await;
    let audit = api.access.audit_log(None, 100).await.unwrap();
    assert_eq!(
        audit
            .iter()
            .find(|e| e.action == "login_failed")
            .and_then(|e| e.address.clone())
            .as_deref(),
        Some("198.51.100.7")
    );
    api.stop().await;
}

const PASSWORD: &str = "correct horse battery";
const CSP: &str = "default-src 'none'; style-src 'self'; script-src 'self'";

/// An answer.
struct Page {
    status: u16,
    headers: reqwest::header::HeaderMap,
    body: String,
}

impl Page {
    fn doc(&self) -> Html {
        Html::parse_document(&self.body)
    }

    fn select(&self, css: &str) -> Vec<String> {
        let doc = self.doc();
        let sel = Selector::parse(css).unwrap();
        doc.select(&sel)
            .map(|e| e.text().collect::<String>())
            .collect()
    }

    fn header(&self, name: &str) -> String {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string()
    }
}

/// A browser: keeps the session cookie itself, follows no redirect.
struct Browser {
    base: String,
    client: reqwest::Client,
    cookie: Option<String>,
    form_token: String,
}

impl Browser {
    fn new(api: &Api) -> Browser {
        Browser {
            base: api.base.clone(),
            client: reqwest::Client::builder()
                .no_proxy()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            cookie: None,
            form_token: String::new(),
        }
    }

    async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        form: &[(&str, &str)],
        extra: &[(&str, &str)],
    ) -> Page {
        let mut request = self.client.request(method, format!("{}{path}", self.base));
        if let Some(c) = &self.cookie {
            request = request.header("cookie", c);
        }
        for (k, v) in extra {
            request = request.header(*k, *v);
        }
        if !form.is_empty() {
            let body: String = form
                .iter()
                .map(|(k, v)| format!("{}={}", q(k), q(v)))
                .collect::<Vec<_>>()
                .join("&");
            request = request
                .header("content-type", "application/x-www-form-urlencoded")
                .body(body);
        }
        let response = request.send().await.expect("the server answers");
        Page {
            status: response.status().as_u16(),
            headers: response.headers().clone(),
            body: response.text().await.unwrap_or_default(),
        }
    }

    async fn get(&self, path: &str) -> Page {
        self.send(reqwest::Method::GET, path, &[], &[]).await
    }

    async fn post(&self, path: &str, form: &[(&str, &str)]) -> Page {
        let mut with_token = vec![("form_token", self.form_token.as_str())];
        with_token.extend_from_slice(form);
        self.send(reqwest::Method::POST, path, &with_token, &[])
            .await
    }

    async fn login(&mut self, email: &str) -> Page {
        let page = self
            .send(
                reqwest::Method::POST,
                "/login",
                &[("email", email), ("password", PASSWORD), ("next", "/")],
                &[],
            )
            .await;
        assert_eq!(page.status, 303, "{}", page.body);
        let set = page.header("set-cookie");
        self.cookie = Some(set.split(';').next().unwrap().to_string());
        let home = self.get("/").await;
        assert_eq!(home.status, 200, "{}", home.body);
        let doc = home.doc();
        let sel = Selector::parse("form[action='/logout'] input[name=form_token]").unwrap();
        self.form_token = doc
            .select(&sel)
            .next()
            .and_then(|e| e.value().attr("value"))
            .expect("the Sign out form carries the form token")
            .to_string();
        page
    }
}

fn assert_headers(page: &Page, what: &str) {
    assert!(
        page.header("content-security-policy").starts_with(CSP),
        "{what}: CSP {:?}",
        page.header("content-security-policy")
    );
    assert_eq!(page.header("x-content-type-options"), "nosniff", "{what}");
    assert_eq!(page.header("referrer-policy"), "same-origin", "{what}");
}

async fn login_cookie_and_forgery(db: &str) {
    let api = Api::start(db).await;
    let mut browser = Browser::new(&api);

    // Without a session: to the login form, coming back after.
    let home = browser.get("/pages/news?tab=feed").await;
    assert_eq!(home.status, 303);
    assert_eq!(
        home.header("location"),
        format!("/login?next={}", q("/pages/news?tab=feed"))
    );
    let form = browser.get("/login?next=%2Fpages%2Fnews").await;
    assert_eq!(form.status, 200);
    assert_headers(&form, "login");
    let doc = form.doc();
    for css in [
        "form[action='/login'][method=post] input[name=email]",
        "input[name=password][type=password]",
        "input[type=hidden][name=next][value='/pages/news']",
        "label[for=email]",
        "label[for=password]",
    ] {
        assert!(
            doc.select(&Selector::parse(css).unwrap()).next().is_some(),
            "{css}"
        );
    }
    // Only a path of this site is a destination.
    let evil = browser.get("/login?next=%2F%2Fevil.example").await;
    assert!(
        evil.body.contains("name=\"next\" value=\"/\""),
        "{}",
        evil.body
    );

    // Wrong email and wrong password: the same answer.
    for (email, password) in [
        ("pub@example.com", "wrong password!"),
        ("nobody@example.com", PASSWORD),
    ] {
        let wrong = browser
            .send(
                reqwest::Method::POST,
                "/login",
                &[("email", email), ("password", password)],
                &[],
            )
            .await;
        assert_eq!(wrong.status, 401);
        assert!(wrong.body.contains("Wrong email or password."));
        assert!(wrong.header("set-cookie").is_empty());
    }
    // A login posted from another site is refused.
    let cross = browser
        .send(
            reqwest::Method::POST,
            "/login",
            &[("email", "pub@example.com"), ("password", PASSWORD)],
            &[("origin", "https://evil.example")],
        )
        .await;
    assert_eq!(cross.status, 403);

    let ok = browser.login("pub@example.com").await;
    assert_eq!(ok.header("location"), "/");
    let cookie = ok.header("set-cookie");
    assert!(cookie.starts_with("iarss_session="), "{cookie}");
    for flag in ["HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(cookie.contains(flag), "{cookie}");
    }
    assert!(!cookie.contains("Secure"), "plain http: {cookie}");

    // Every page carries the headers.
    for path in [
        "/",
        "/pages/news",
        "/rules",
        "/rules/missing-canonical",
        "/nowhere",
    ] {
        let page = browser.get(path).await;
        assert_headers(&page, path);
    }
    let css = browser.get("/static/iarss.css").await;
    assert_eq!(css.status, 200);
    assert!(css.header("cache-control").contains("max-age"));

    // Forgery: no token, a wrong token, another origin, another site by Sec-Fetch-Site.
    let no_token = browser
        .send(
            reqwest::Method::POST,
            "/pages/news/fetch-now",
            &[("x", "1")],
            &[],
        )
        .await;
    assert_eq!(no_token.status, 403);
    assert!(
        no_token
            .body
            .contains("This form is out of date or came from another site")
    );
    let wrong = browser
        .send(
            reqwest::Method::POST,
            "/pages/news/fetch-now",
            &[("form_token", "nope")],
            &[],
        )
        .await;
    assert_eq!(wrong.status, 403);
    let token = browser.form_token.clone();
    for (name, value) in [
        ("origin", "https://evil.example"),
        ("sec-fetch-site", "cross-site"),
    ] {
        let forged = browser
            .send(
                reqwest::Method::POST,
                "/pages/news/fetch-now",
                &[("form_token", &token)],
                &[(name, value)],
            )
            .await;
        assert_eq!(forged.status, 403, "{name}");
    }
    // The real thing, then too soon.
    let fetch = browser.post("/pages/news/fetch-now", &[]).await;
    assert_eq!(fetch.status, 303, "{}", fetch.body);
    let again = browser.post("/pages/news/fetch-now", &[]).await;
    assert_eq!(again.status, 429);
    assert!(
        again
            .body
            .contains("A fetch of this page was asked for less than 10 s ago")
    );

    // Publishers see no Audit or Users, and are refused them.
    let home = browser.get("/").await;
    assert!(
        home.select("nav.main a")
            .iter()
            .all(|t| t != "Audit" && t != "Users")
    );
    assert_eq!(browser.get("/audit").await.status, 403);
    assert_eq!(browser.get("/admin/users").await.status, 403);
    // A member's Settings tab has the page's webhooks, not the page's own settings.
    let settings = browser.get("/pages/news?tab=settings").await;
    assert_eq!(settings.status, 200);
    assert!(settings.body.contains("Webhooks") && !settings.body.contains("Save settings"));

    // Sign out ends the session.
    let out = browser.post("/logout", &[]).await;
    assert_eq!(out.status, 303);
    assert_eq!(out.header("location"), "/login");
    assert_eq!(browser.get("/").await.status, 303);

    // An operator sees the audit log and the users.
    let mut op = Browser::new(&api);
    op.login("op@example.com").await;
    let audit = op.get("/audit").await;
    assert_eq!(audit.status, 200);
    assert!(audit.body.contains("fetch_now"));
    let users = op.get("/admin/users").await;
    assert!(users.body.contains("pub@example.com"));
    let created = op
        .post(
            "/admin/tokens",
            &[("email", "pub@example.com"), ("name", "cms")],
        )
        .await;
    assert_eq!(created.status, 200);
    let shown = created.select("#new-token");
    assert!(shown[0].starts_with("iarss_"), "{shown:?}");
    api.stop().await;
}

/// A news article whose title and text carry markup as text.
fn hostile_html() -> String {
    let mut a = article(&format!("https://{}/hostile", kit::api::NEWS_DOMAIN));
    a.title = "&lt;script&gt;alert(1)&lt;/script&gt; headline".into();
    a = a.body("&lt;img src=x onerror=alert(1)&gt; and more");
    a.html()
}

async fn pages_escape_and_isolate(db: &str) {
    let api = Api::start(db).await;
    let news = |path: &str| format!("https://{}/{path}", kit::api::NEWS_DOMAIN);
    let hostile = api.import(NEWS, &hostile_html(), true).await;
    assert_eq!(hostile.status, 201, "{}", hostile.text());
    let warned = article(&news("warned")).warning();
    assert_eq!(api.import(NEWS, &warned.html(), true).await.status, 201);
    assert_eq!(
        api.import(NEWS, &article(&news("draft")).html(), false)
            .await
            .status,
        201
    );
    let sport_url = format!("https://{}/match", kit::api::SPORT_DOMAIN);
    assert_eq!(
        api.import(SPORT, &article(&sport_url).html(), true)
            .await
            .status,
        201
    );

    let mut browser = Browser::new(&api);
    browser.login("pub@example.com").await;

    // The dashboard: only news, with its counts.
    let home = browser.get("/").await;
    assert_eq!(home.select("h1"), vec!["Pages"]);
    let links = home.select("table a[href^='/pages/']");
    assert_eq!(links, vec!["news"]);
    assert_eq!(home.select("[data-count=live]"), vec!["2"]);
    assert_eq!(home.select("[data-count=draft]"), vec!["1"]);
    assert_eq!(home.select("[data-count=errors]"), vec!["0"]);
    assert_eq!(home.select("[data-count=warnings]"), vec!["1"]);
    assert!(!home.body.contains("Only feeds with errors"));

    // The page's tabs and lists escape the title.
    let page = browser.get("/pages/news").await;
    assert_eq!(page.status, 200);
    let tabs = page.select("nav.tabs a");
    assert_eq!(tabs, vec!["Production", "Development", "Feed", "Settings"]);
    let titles = page.select("table.articles tbody th a");
    assert!(
        titles.contains(&"<script>alert(1)</script> headline".to_string()),
        "{titles:?}"
    );
    let drafts = browser.get("/pages/news?tab=development").await;
    assert_eq!(drafts.select("table.articles tbody tr").len(), 1);
    let search = browser.get("/pages/news?q=warned").await;
    assert_eq!(search.select("table.articles tbody tr").len(), 1);
    let feed = browser.get("/pages/news?tab=feed").await;
    assert_eq!(feed.select("#feed-production h2"), vec!["Production feed"]);
    assert!(
        feed.select("#feed-production p.empty")
            .iter()
            .any(|p| p == "No run of this feed yet."),
        "{}",
        feed.body
    );

    // The article page: no script, no img[onerror] in the DOM, the title as text.
    for path in [
        format!("/articles?url={}", q(&news("hostile"))),
        "/pages/news".to_string(),
        format!("/articles/edit?url={}", q(&news("hostile"))),
    ] {
        let answer = browser.get(&path).await;
        assert_eq!(answer.status, 200, "{path}");
        let doc = answer.doc();
        for css in ["script:not([src])", "img[onerror]", "img"] {
            assert!(
                doc.select(&Selector::parse(css).unwrap()).next().is_none(),
                "{path}: {css} in {}",
                answer.body
            );
        }
    }
    let shown = browser
        .get(&format!("/articles?url={}", q(&news("hostile"))))
        .await;
    assert_eq!(
        shown.select("h1"),
        vec!["<script>alert(1)</script> headline"]
    );
    let iframe = Selector::parse("iframe[sandbox='']").unwrap();
    assert!(shown.doc().select(&iframe).next().is_some());
    let preview = browser
        .get(&format!("/articles/preview?url={}", q(&news("hostile"))))
        .await;
    assert!(
        preview.body.starts_with("<!doctype html>")
            && preview.body.contains("<style id=\"ia-look\">"),
        "the article first, in an Instant Article's look"
    );
    assert!(
        preview
            .header("content-security-policy")
            .starts_with("sandbox; default-src 'none'"),
        "{}",
        preview.header("content-security-policy")
    );

    // The warned article: its diagnostic with the rule link and the marked excerpt.
    let warned_page = browser
        .get(&format!("/articles?url={}", q(&news("warned"))))
        .await;
    let rules = warned_page.select("ol.diagnostics a[href='/rules/empty-element']");
    assert_eq!(rules, vec!["empty-element"], "{}", warned_page.body);
    let marks = warned_page.select("pre.excerpt mark");
    assert_eq!(marks.len(), 1, "{}", warned_page.body);
    assert_eq!(marks[0], "<p>", "the whole tag marked");
    assert!(warned_page.select("pre.excerpt").len() == 1);

    // Another publisher's article: the same 404 as an article that does not exist.
    let theirs = browser
        .get(&format!("/articles?url={}", q(&sport_url)))
        .await;
    let none = browser
        .get(&format!("/articles?url={}", q(&news("nothing-here"))))
        .await;
    assert_eq!(theirs.status, 404);
    assert_eq!(none.status, 404);
    assert_eq!(theirs.body, none.body);
    assert_eq!(theirs.select("h1"), vec!["Not found"]);
    let their_page = browser.get("/pages/sport").await;
    let no_page = browser.get("/pages/nope").await;
    assert_eq!(their_page.status, 404);
    assert_eq!(their_page.body, no_page.body);
    for path in ["/articles/edit", "/articles/delete", "/articles/preview"] {
        let a = browser.get(&format!("{path}?url={}", q(&sport_url))).await;
        assert_eq!(a.status, 404, "{path}");
    }

    // Publish the draft, delete through the confirmation.
    let draft = q(&news("draft"));
    let published = browser
        .post(&format!("/articles/publish?url={draft}"), &[])
        .await;
    assert_eq!(published.status, 303);
    let confirm = browser.get(&format!("/articles/delete?url={draft}")).await;
    assert!(confirm.body.contains("Delete for good"));
    let deleted = browser
        .post(&format!("/articles/delete?url={draft}"), &[])
        .await;
    assert_eq!(deleted.status, 303);
    assert_eq!(
        browser.get(&format!("/articles?url={draft}")).await.status,
        404
    );

    // An operator sees every page and the filter.
    let mut op = Browser::new(&api);
    op.login("op@example.com").await;
    let all = op.get("/").await;
    assert_eq!(
        all.select("table a[href^='/pages/']"),
        vec!["news", "sport"]
    );
    assert!(all.body.contains("Only feeds with errors"));
    let settings = op.get("/pages/news?tab=settings").await;
    assert_eq!(settings.status, 200);
    assert!(settings.body.contains("pub@example.com"));
    api.stop().await;
}

async fn editor_refuses_errors(db: &str) {
    let api = Api::start(db).await;
    let url = format!("https://{}/story", kit::api::NEWS_DOMAIN);
    assert_eq!(
        api.import(NEWS, &article(&url).html(), true).await.status,
        201
    );
    let mut browser = Browser::new(&api);
    browser.login("pub@example.com").await;
    let edit_path = format!("/articles/edit?url={}", q(&url));
    let form = browser.get(&edit_path).await;
    assert_eq!(form.status, 200);
    let doc = form.doc();
    for css in [
        "textarea#editor[name=html_source]",
        "ul#live-diagnostics",
        "meta[name=form-token]",
        "script[src^='/static/editor.js']",
    ] {
        assert!(
            doc.select(&Selector::parse(css).unwrap()).next().is_some(),
            "{css}"
        );
    }
    let broken = article(&url).broken().html();
    let refused = browser
        .post(&edit_path, &[("html_source", broken.as_str())])
        .await;
    assert_eq!(refused.status, 422, "{}", refused.body);
    let items = refused.select("#live-diagnostics li");
    assert!(
        items.iter().any(|i| i.contains("missing-op-published")),
        "{items:?}"
    );
    assert!(refused.select("textarea#editor")[0].contains("<article>"));

    let fixed = article(&url).body("Edited by hand.").html();
    let saved = browser
        .post(&edit_path, &[("html_source", fixed.as_str())])
        .await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    let shown = browser.get(&format!("/articles?url={}", q(&url))).await;
    assert!(
        shown
            .select("table.revisions th")
            .iter()
            .any(|t| t == "2 (current)")
    );
    let restore = shown.select("a[href*='/articles/restore']");
    assert_eq!(restore, vec!["Restore…"]);
    let question = browser
        .get(&format!("/articles/restore?url={}&revision=1", q(&url)))
        .await;
    assert_eq!(question.status, 200);
    assert_eq!(question.select("h1"), vec!["Restore revision 1?"]);
    assert_eq!(
        question.select("form[action*='/articles/restore'] button"),
        vec!["Restore revision 1"]
    );
    assert_eq!(
        shown.select("form[action='/articles/diff'] button"),
        vec!["Show the differences"]
    );
    let diff = browser
        .get(&format!("/articles/diff?url={}&from=1&to=2", q(&url)))
        .await;
    assert_eq!(diff.status, 200);
    assert!(diff.body.contains("Edited by hand."));

    // The live lint's API call, as the script makes it.
    let token = browser.form_token.clone();
    let lint = browser
        .send(
            reqwest::Method::POST,
            &format!("/api/v1/lint?domain={}", kit::api::NEWS_DOMAIN),
            &[],
            &[
                ("x-iarss-form-token", &token),
                ("content-type", "text/html"),
            ],
        )
        .await;
    assert_eq!(lint.status, 200, "{}", lint.body);
    api.stop().await;
}

/// Commits failing in a row and runs that could not be recorded (they exist only in this
/// process) are on the operators' dashboard, and on no publisher's.
async fn store_trouble_on_the_dashboard(db: &str) {
    let api = Api::start(db).await;
    let health = api.store.health();
    health.failed("database is locked");
    health.failed("database is locked");
    health.unrecorded(iarss::store::UnrecordedRun {
        page_id: "news".into(),
        feed_url: "https://example.com/ia.rss".into(),
        finished_at: iarss::model::now_ms(),
        error: "the commit failed: disk full; recording it failed: disk full".into(),
    });
    let mut operator = Browser::new(&api);
    operator.login("op@example.com").await;
    let home = operator.get("/").await;
    assert!(
        home.body
            .contains("The last 2 commit(s) failed: database is locked"),
        "{}",
        home.body
    );
    assert!(home.body.contains("Runs that could not be recorded"));
    assert!(home.body.contains("disk full"));
    let mut publisher = Browser::new(&api);
    publisher.login("pub@example.com").await;
    let home = publisher.get("/").await;
    assert!(!home.body.contains("commit(s) failed") && !home.body.contains("disk full"));
    api.stop().await;
}

/// "Only feeds with errors" is filtered in the store: a failing page far beyond the first
/// screen of 50 is on the first filtered screen, alone.
async fn failing_feeds_fill_the_screen(db: &str) {
    let api = Api::start(db).await;
    for i in 0..120 {
        api.store
            .add_page(&iarss::store::NewPage {
                id: format!("f{i:03}"),
                name: format!("Filler {i:03}"),
                domain: iarss::model::Domain::parse(&format!("f{i}.example.org")).expect("domain"),
                feed_url: Some(format!("https://f{i}.example.org/ia.rss")),
                dev_feed_url: None,
                enabled: true,
            })
            .await
            .expect("add page");
    }
    sqlx::query(
        "UPDATE feeds SET consecutive_failures = 2, last_error = 'HTTP 500' WHERE page_id = 'f110'",
    )
    .execute(api.store.pool())
    .await
    .expect("make f110 fail");
    let mut operator = Browser::new(&api);
    operator.login("op@example.com").await;
    let all = operator.get("/").await;
    assert!(all.body.contains("/pages/f000") && !all.body.contains("/pages/f110"));
    let failing = operator.get("/?failing=1").await;
    assert_eq!(failing.status, 200);
    assert!(failing.body.contains("/pages/f110"), "{}", failing.body);
    assert!(failing.body.contains("HTTP 500"), "{}", failing.body);
    assert!(
        !failing.body.contains("/pages/f000") && !failing.body.contains("/pages/f109"),
        "only the failing page: {}",
        failing.body
    );
    api.stop().await;
}
