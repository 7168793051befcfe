//! The HTTP API through real HTTP on 127.0.0.1, on SQLite and on PostgreSQL: who may do
//! what (one table for every route), the publishing scenarios of docs/api.md, hostile
//! requests, and the OpenAPI document against the routes.

use crate::kit;
use kit::api::{Api, NEWS, q};
use kit::publishing::{article, ingest_live, rss, url};
use serde_json::{Value, json};

/// One test per backend for each `async fn scenario(db: &str)`.
macro_rules! api_on_both_backends {
    ($($scenario:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[test]
                fn $scenario() {
                    let db = crate::kit::api::sqlite_db(stringify!($scenario));
                    crate::kit::api::block_on(super::$scenario(&db));
                }
            )*
        }
        mod postgres {
            $(
                #[test]
                fn $scenario() {
                    let db = crate::kit::PgDb::create(concat!("api_", stringify!($scenario)));
                    crate::kit::api::block_on(super::$scenario(db.url()));
                }
            )*
        }
    };
}

api_on_both_backends!(
    access_matrix,
    scenario_import,
    scenario_edit_past_the_window_then_an_ignored_update,
    scenario_restore_publish_delete,
    scenario_dry_run_matches_the_run_after_it,
    scenario_fetch_now_and_limits,
    scenario_garbage_never_breaks_a_route,
    scenario_many_writers_at_once,
    scenario_control_characters_never_reach_the_store,
    scenario_client_mistakes_are_client_errors,
    scenario_imports_read_times_in_the_configured_zone,
    scenario_backoff_is_shown_as_the_scheduler_applies_it,
);

/// A feed is `in_backoff` on the API (and so on the dashboard, which shows the same view)
/// exactly when the scheduler backs it off and the `iarss_feeds_in_backoff` gauge counts
/// it: from its third failed run in a row, not its first (docs/ingestion.md).
async fn scenario_backoff_is_shown_as_the_scheduler_applies_it(db: &str) {
    use iarss::store::{FeedKind, FeedRun, RunOutcome};
    let api = Api::start(db).await;
    // Scheduled, so the gauge (of scheduled feeds) counts it; nothing here fetches it.
    api.store.set_enabled(NEWS, true).await.expect("enable");
    let feed_url = format!("https://{}/ia.rss", kit::api::NEWS_DOMAIN);
    let interval = std::time::Duration::from_secs(180);
    let max_backoff = std::time::Duration::from_secs(3600);
    for failures in 1..=4 {
        let mut run = FeedRun::start(NEWS, &feed_url, FeedKind::Production);
        run.outcome = RunOutcome::FetchError;
        run.error = Some("HTTP 500 from the feed".to_string());
        run.finished_at = run.started_at;
        api.store
            .commit_run(&mut run, &[], None, None)
            .await
            .expect("record a failed run");

        let page = api
            .get(&format!("/api/v1/pages/{NEWS}"), &api.operator)
            .await
            .json();
        let feed = &page["feeds"]["production"];
        assert_eq!(feed["consecutive_failures"], failures, "{page:#}");
        let shown = feed["in_backoff"].as_bool().expect("in_backoff");
        // What the scheduler does after this run: the next slot of the cadence, or longer.
        let next = iarss::schedule::next_due(0, 0, 0, failures, interval, max_backoff, 0.5);
        let scheduled_later = next > interval.as_millis() as i64;
        let counted = api.store.feeds_in_backoff().await.expect("gauge") == 1;
        assert_eq!(
            shown,
            failures >= 3,
            "after {failures} failure(s): {feed:#}"
        );
        assert_eq!(
            shown, scheduled_later,
            "after {failures} failure(s): next due {next}"
        );
        assert_eq!(
            shown, counted,
            "after {failures} failure(s): the gauge disagrees"
        );
    }
    api.stop().await;
}

/// Imports, edits and dry runs read times without an offset in the configured zone
/// (`validate.default_timezone`), as the daemon's runs do.
async fn scenario_imports_read_times_in_the_configured_zone(db: &str) {
    let api = Api::start_configured(
        db,
        kit::api::ApiOptions {
            run: iarss::ingest::RunOptions {
                zone: chrono_tz::UTC,
                ..Default::default()
            },
            ..Default::default()
        },
    )
    .await;
    let a = url("zone/a");
    let html = article(&a)
        .html()
        .replace(kit::publishing::PUBLISHED, "2024-01-10T08:00:00");
    let answer = api.import(NEWS, &html, true).await;
    assert_eq!(answer.status, 201, "{}", answer.text());
    let stored = api
        .get(&format!("/api/v1/articles?url={}", q(&a)), &api.operator)
        .await
        .json();
    // In the built-in America/Los_Angeles it would be 16:00 UTC.
    assert_eq!(
        stored["op_published"], "2024-01-10T08:00:00.000Z",
        "{stored}"
    );
    let warning = stored["diagnostics"][0]["message"]
        .as_str()
        .unwrap_or_default();
    assert!(warning.contains("read as UTC"), "{warning}");
    let dry = api
        .send(
            "POST",
            &format!("/api/v1/pages/{NEWS}/dry-run"),
            Some(&api.operator),
            Some("application/rss+xml"),
            rss(&[article(&a).modified("2024-01-10T09:00:00")])
                .replace(kit::publishing::PUBLISHED, "2024-01-10T08:00:00")
                .into_bytes(),
        )
        .await;
    assert_eq!(dry.status, 200, "{}", dry.text());
    let item = &dry.json()["items"][0];
    assert_eq!(
        item["incoming_op_modified"], "2024-01-10T09:00:00.000Z",
        "{item}"
    );
    api.stop().await;
}

/// A NUL or another C0 control in an imported or edited article is 422 with
/// `article-forbidden-character` at its position (rules.md decision 28), in a query 400;
/// nothing holding one is stored, and the store keeps answering (on PostgreSQL a NUL in
/// text would fail the statement).
async fn scenario_control_characters_never_reach_the_store(db: &str) {
    let api = Api::start(db).await;
    let a = url("control/a");
    let with_nul = article(&a).body("Ferries\u{0} resumed.").html();
    let answer = api.import(NEWS, &with_nul, true).await;
    assert_eq!(answer.status, 422, "{}", answer.text());
    let body = answer.json();
    let found = body["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["rule"] == "article-forbidden-character")
        .cloned()
        .unwrap_or_else(|| panic!("{body}"));
    assert_eq!(found["severity"], "error");
    let line = with_nul.lines().position(|l| l.contains('\u{0}')).unwrap() as u64 + 1;
    assert_eq!(found["line"], line, "{found}");
    let path = format!("/api/v1/articles?url={}", q(&a));
    assert_eq!(api.get(&path, &api.operator).await.status, 404);

    // Stored clean, then edited with an escape character: refused, the stored text kept.
    assert_eq!(
        api.import(NEWS, &article(&a).html(), true).await.status,
        201
    );
    let edit = api
        .json(
            "PUT",
            &path,
            &api.operator,
            &json!({"html_source": article(&a).body("Red \u{1b}[31m text.").html()}),
        )
        .await;
    assert_eq!(edit.status, 422, "{}", edit.text());
    assert!(edit.text().contains("article-forbidden-character"));
    let stored = api.get(&path, &api.operator).await.json();
    assert!(!stored["html"].as_str().unwrap().contains('\u{1b}'));
    assert_eq!(stored["revision"], 1);

    for query in [
        format!("/api/v1/pages/{NEWS}/articles?q=%00"),
        format!("/api/v1/articles?url={}%00", q(&a)),
    ] {
        let answer = api.get(&query, &api.operator).await;
        assert_eq!(answer.status, 400, "{query}: {}", answer.text());
        assert_eq!(answer.code(), "bad_request");
    }
    // The store still answers.
    assert_eq!(api.get(&path, &api.operator).await.status, 200);
    api.stop().await;
}

/// What a client got wrong is a 4xx in the API's error shape, never `store_unavailable`:
/// a revision or an ignored update the article does not have, a cursor no list gave out.
/// The documentation's field names are the API's.
async fn scenario_client_mistakes_are_client_errors(db: &str) {
    let api = Api::start(db).await;
    let a = url("mistakes/a");
    assert_eq!(
        api.import(NEWS, &article(&a).html(), true).await.status,
        201
    );
    for (method, path, status) in [
        (
            "POST",
            format!("/api/v1/articles/restore?url={}&revision=9", q(&a)),
            404,
        ),
        (
            "GET",
            format!("/api/v1/articles/revisions?url={}&revision=9", q(&a)),
            404,
        ),
        (
            "POST",
            format!("/api/v1/articles/ignored/apply?url={}", q(&a)),
            404,
        ),
        (
            "GET",
            format!("/api/v1/pages/{NEWS}/articles?cursor=bm90LWEtY3Vyc29y"),
            400,
        ),
    ] {
        let answer = api
            .send(method, &path, Some(&api.operator), None, Vec::new())
            .await;
        assert_eq!(answer.status, status, "{method} {path}: {}", answer.text());
        assert_ne!(answer.code(), "store_unavailable");
    }
    // docs/api.md names a revision's fields as the API returns them.
    let docs =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/api.md")).unwrap();
    let described = docs
        .lines()
        .skip_while(|l| !l.starts_with("**Revision**"))
        .take_while(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    let revision = api
        .get(
            &format!("/api/v1/articles/revisions?url={}&revision=1", q(&a)),
            &api.operator,
        )
        .await
        .json();
    for key in revision.as_object().unwrap().keys() {
        assert!(
            described.contains(&format!("`{key}`")),
            "docs/api.md does not name the revision's `{key}`: {described}"
        );
    }
    api.stop().await;
}

/// 32 API clients reading, importing and editing articles of one page for 10 s while the
/// page's feed runs back to back through another store (as `iarss ingest` beside the
/// daemon would): no 5xx, every write answered as done is stored, none answered as failed
/// is, and every run ends `ok`. Writers of the page wait their turn instead of failing.
async fn scenario_many_writers_at_once(db: &str) {
    let api = Api::start(db).await;
    let feed_store = iarss::store::Store::open(db).await.expect("second store");
    let options = kit::api::load::LoadOptions {
        clients: 32,
        duration: std::time::Duration::from_secs(10),
        feed_items: 20,
        scratch: kit::scratch(&format!("many-writers-{}", api.store.backend() as u8)),
    };
    let report = kit::api::load::mixed_writers(&api, Some(feed_store), &options).await;
    eprintln!("{}", report.summary());
    assert!(
        report.is_clean(),
        "{}\n{}",
        report.summary(),
        report.problems()
    );
    assert!(report.runs >= 5, "feed runs went on: {}", report.summary());
    for kind in ["read", "import", "edit"] {
        assert!(
            report.ops.get(kind).is_some_and(|s| s.ok > 50),
            "{kind}: {}",
            report.summary()
        );
    }
    api.stop().await;
}

/// Who makes a request in the access matrix.
#[derive(Clone, Copy, Debug)]
enum Who {
    Operator,
    Publisher,
    Outsider,
    Revoked,
    Nobody,
}

const EVERYONE: [Who; 5] = [
    Who::Operator,
    Who::Publisher,
    Who::Outsider,
    Who::Revoked,
    Who::Nobody,
];

fn token(api: &Api, who: Who) -> Option<String> {
    match who {
        Who::Operator => Some(api.operator.clone()),
        Who::Publisher => Some(api.publisher.clone()),
        Who::Outsider => Some(api.outsider.clone()),
        Who::Revoked => Some(api.revoked.clone()),
        Who::Nobody => None,
    }
}

/// One row of the matrix: a request, the statuses of [`EVERYONE`] in order, and the same
/// request on an object that does not exist (for the byte-for-byte comparison of the
/// outsider's 404).
struct Row {
    method: &'static str,
    path: String,
    body: Option<(&'static str, Vec<u8>)>,
    expect: [u16; 5],
    missing: Option<String>,
}

fn row(method: &'static str, path: String, expect: [u16; 5]) -> Row {
    Row {
        method,
        path,
        body: None,
        expect,
        missing: None,
    }
}

impl Row {
    fn json(mut self, body: Value) -> Row {
        self.body = Some(("application/json", serde_json::to_vec(&body).unwrap()));
        self
    }

    fn raw(mut self, content_type: &'static str, body: String) -> Row {
        self.body = Some((content_type, body.into_bytes()));
        self
    }

    fn missing(mut self, path: String) -> Row {
        self.missing = Some(path);
        self
    }
}

async fn send(api: &Api, row: &Row, path: &str, who: Who) -> kit::api::Answer {
    let (content_type, body) = match &row.body {
        Some((c, b)) => (Some(*c), b.clone()),
        None => (None, Vec::new()),
    };
    api.send(
        row.method,
        path,
        token(api, who).as_deref(),
        content_type,
        body,
    )
    .await
}

/// Every route, every kind of caller: exactly the statuses docs/api.md gives, and a
/// non-member's answer is byte for byte the answer for an object that does not exist.
async fn access_matrix(db: &str) {
    let api = Api::start(db).await;
    let a = url("matrix/a");
    let draft = url("matrix/draft");
    let fed = url("matrix/fed");
    let imported = api
        .import(
            NEWS,
            &article(&a).modified("2024-03-10T09:00:00Z").html(),
            true,
        )
        .await;
    assert_eq!(imported.status, 201, "{}", imported.text());
    let import_id = imported.json()["import_id"].as_i64().expect("import id");
    assert_eq!(
        api.import(NEWS, &article(&draft).html(), false)
            .await
            .status,
        201
    );
    // A feed run, then the same article refused by the update rules: a pending ignored update.
    let (store, page) = (&api.store, api.store.page(NEWS).await.unwrap().unwrap());
    let first = ingest_live(
        store,
        &page,
        &[article(&fed).modified("2024-03-10T09:00:00Z")],
    )
    .await;
    let run_id = first.run.id.expect("run id");
    ingest_live(
        store,
        &page,
        &[article(&fed).modified("2024-03-09T09:00:00Z").body("older")],
    )
    .await;
    let edited = article(&a)
        .modified("2024-03-10T09:00:00Z")
        .body("edited by hand")
        .html();
    let feed = rss(&[article(&url("matrix/dry"))]);
    let nope = url("matrix/nope");
    let missing_url = q(&nope);
    let rows = vec![
        row("GET", "/api/v1/pages".into(), [200, 200, 200, 401, 401]),
        row("POST", "/api/v1/pages".into(), [201, 403, 403, 401, 401])
            .json(json!({"id": "extra", "domain": "extra.example.net"})),
        row(
            "GET",
            "/api/v1/pages/news".into(),
            [200, 200, 404, 401, 401],
        )
        .missing("/api/v1/pages/nope".into()),
        row(
            "PATCH",
            "/api/v1/pages/news".into(),
            [200, 403, 404, 401, 401],
        )
        .json(json!({"name": "News"}))
        .missing("/api/v1/pages/nope".into()),
        row(
            "DELETE",
            "/api/v1/pages/news".into(),
            [409, 403, 404, 401, 401],
        )
        .missing("/api/v1/pages/nope".into()),
        row(
            "POST",
            "/api/v1/pages/news/fetch-now".into(),
            [202, 429, 404, 401, 401],
        )
        .missing("/api/v1/pages/nope/fetch-now".into()),
        row(
            "GET",
            "/api/v1/pages/news/runs".into(),
            [200, 200, 404, 401, 401],
        )
        .missing("/api/v1/pages/nope/runs".into()),
        row(
            "GET",
            format!("/api/v1/runs/{run_id}"),
            [200, 200, 404, 401, 401],
        )
        .missing("/api/v1/runs/987654321".into()),
        row(
            "GET",
            "/api/v1/pages/news/articles".into(),
            [200, 200, 404, 401, 401],
        )
        .missing("/api/v1/pages/nope/articles".into()),
        row(
            "POST",
            "/api/v1/pages/news/articles".into(),
            [201, 200, 404, 401, 401],
        )
        .json(json!({"html_source": article(&url("matrix/imported")).html()}))
        .missing("/api/v1/pages/nope/articles".into()),
        row(
            "GET",
            format!("/api/v1/articles?url={}", q(&a)),
            [200, 200, 404, 401, 401],
        )
        .missing(format!("/api/v1/articles?url={missing_url}")),
        row(
            "PUT",
            format!("/api/v1/articles?url={}", q(&a)),
            [200, 200, 404, 401, 401],
        )
        .json(json!({"html_source": edited}))
        .missing(format!("/api/v1/articles?url={missing_url}")),
        row(
            "GET",
            format!("/api/v1/articles/revisions?url={}&revision=1", q(&a)),
            [200, 200, 404, 401, 401],
        )
        .missing(format!(
            "/api/v1/articles/revisions?url={missing_url}&revision=1"
        )),
        row(
            "GET",
            format!("/api/v1/articles/diff?url={}&from=1&to=2", q(&a)),
            [200, 200, 404, 401, 401],
        )
        .missing(format!(
            "/api/v1/articles/diff?url={missing_url}&from=1&to=2"
        )),
        row(
            "POST",
            format!("/api/v1/articles/restore?url={}&revision=1", q(&a)),
            [200, 200, 404, 401, 401],
        )
        .missing(format!(
            "/api/v1/articles/restore?url={missing_url}&revision=1"
        )),
        row(
            "POST",
            format!("/api/v1/articles/publish?url={}", q(&draft)),
            [200, 200, 404, 401, 401],
        )
        .missing(format!("/api/v1/articles/publish?url={missing_url}")),
        row(
            "GET",
            format!("/api/v1/articles/ignored?url={}", q(&fed)),
            [200, 200, 404, 401, 401],
        )
        .missing(format!("/api/v1/articles/ignored?url={missing_url}")),
        // Applied by the operator: nothing is pending for the publisher after that.
        row(
            "POST",
            format!("/api/v1/articles/ignored/apply?url={}", q(&fed)),
            [200, 404, 404, 401, 401],
        )
        .missing(format!("/api/v1/articles/ignored/apply?url={missing_url}")),
        row(
            "GET",
            format!("/api/v1/imports/{import_id}"),
            [200, 200, 404, 401, 401],
        )
        .missing("/api/v1/imports/987654321".into()),
        row(
            "POST",
            "/api/v1/pages/news/dry-run".into(),
            [200, 200, 404, 401, 401],
        )
        .raw("application/rss+xml", feed.clone())
        .missing("/api/v1/pages/nope/dry-run".into()),
        row(
            "POST",
            "/api/v1/lint?domain=example.com".into(),
            [200, 200, 200, 401, 401],
        )
        .raw("application/rss+xml", feed.clone()),
        row("GET", "/api/v1/rules".into(), [200, 200, 200, 401, 401]),
        row(
            "GET",
            "/api/v1/rules/figure-in-paragraph".into(),
            [200, 200, 200, 401, 401],
        ),
        row("GET", "/api/v1/audit".into(), [200, 403, 403, 401, 401]),
    ];
    for row in &rows {
        for (who, expected) in EVERYONE.iter().zip(row.expect) {
            let answer = send(&api, row, &row.path, *who).await;
            assert_eq!(
                answer.status,
                expected,
                "{} {} as {who:?}: {}",
                row.method,
                row.path,
                answer.text()
            );
            if answer.status == 401 {
                assert_eq!(
                    answer
                        .headers
                        .get("www-authenticate")
                        .map(|v| v.to_str().unwrap()),
                    Some("Bearer")
                );
            }
            if matches!(who, Who::Outsider)
                && expected == 404
                && let Some(missing) = &row.missing
            {
                let absent = send(&api, row, missing, Who::Operator).await;
                assert_eq!(absent.status, 404, "{} {missing}", row.method);
                assert_eq!(
                    answer.body, absent.body,
                    "{} {}: a non-member's answer differs from the answer for nothing",
                    row.method, row.path
                );
            }
        }
    }
    // Deleting: the member and the operator each delete an article of their own.
    for (who, expected) in EVERYONE.iter().zip([204, 204, 404, 401, 401]) {
        let victim = url(&format!("matrix/delete-{who:?}"));
        assert_eq!(
            api.import(NEWS, &article(&victim).html(), true)
                .await
                .status,
            201
        );
        let path = format!("/api/v1/articles?url={}", q(&victim));
        let answer = api
            .send(
                "DELETE",
                &path,
                token(&api, *who).as_deref(),
                None,
                Vec::new(),
            )
            .await;
        assert_eq!(
            answer.status,
            expected,
            "DELETE as {who:?}: {}",
            answer.text()
        );
        if matches!(who, Who::Outsider) {
            let absent = api
                .send(
                    "DELETE",
                    &format!("/api/v1/articles?url={missing_url}"),
                    Some(&api.operator),
                    None,
                    Vec::new(),
                )
                .await;
            assert_eq!(answer.body, absent.body);
        }
    }
    // Lists show only the caller's pages.
    let listed = api.get("/api/v1/pages", &api.outsider).await.json();
    let ids: Vec<&str> = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["page_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["sport"]);
    api.stop().await;
}

async fn scenario_import(db: &str) {
    let api = Api::start(db).await;
    let a = url("import/a");
    // Valid: inserted, 201, then the same again: unchanged, 200.
    let first = api.import(NEWS, &article(&a).html(), true).await;
    assert_eq!(first.status, 201, "{}", first.text());
    let body = first.json();
    assert_eq!(body["status"], "success");
    assert_eq!(body["action"], "inserted");
    assert_eq!(body["canonical_url"], a.as_str());
    let id = body["import_id"].as_i64().unwrap();
    let again = api.import(NEWS, &article(&a).html(), true).await;
    assert_eq!(again.status, 200);
    assert_eq!(again.json()["action"], "unchanged");
    // Its answer stays readable.
    let later = api
        .get(&format!("/api/v1/imports/{id}"), &api.publisher)
        .await;
    assert_eq!(later.status, 200);
    assert_eq!(later.json()["action"], "inserted");
    // With errors: 422, the diagnostics with rule and position, nothing stored.
    let broken = url("import/broken");
    let failed = api
        .import(NEWS, &article(&broken).broken().html(), true)
        .await;
    assert_eq!(failed.status, 422, "{}", failed.text());
    let body = failed.json();
    assert_eq!(body["status"], "failed");
    assert_eq!(body["action"], "rejected");
    let diagnostics = body["diagnostics"].as_array().unwrap();
    assert!(
        diagnostics
            .iter()
            .any(|d| d["severity"] == "error" && d["line"].is_u64())
    );
    let look = format!("/api/v1/articles?url={}", q(&broken));
    assert_eq!(api.get(&look, &api.operator).await.status, 404);
    // On another page's domain: refused with canonical-domain-mismatch.
    let foreign = "https://sport.example.org/story";
    let failed = api.import(NEWS, &article(foreign).html(), true).await;
    assert_eq!(failed.status, 422);
    assert!(
        failed.json()["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["rule"] == "canonical-domain-mismatch"),
        "{}",
        failed.text()
    );
    // A draft import of a live article updates it and never demotes it.
    let changed = article(&a).body("a second version").html();
    let update = api.import(NEWS, &changed, false).await;
    assert_eq!(update.status, 200, "{}", update.text());
    assert_eq!(update.json()["action"], "updated");
    let stored = api
        .get(&format!("/api/v1/articles?url={}", q(&a)), &api.publisher)
        .await
        .json();
    assert_eq!(stored["status"], "live");
    assert_eq!(stored["revision"], 2);
    let sources: Vec<&str> = stored["revisions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["source"].as_str().unwrap())
        .collect();
    assert_eq!(sources, ["import", "import"]);
    // Every import is audited.
    let audit = api.get("/api/v1/audit", &api.operator).await.json();
    let imports = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "article_imported")
        .count();
    assert_eq!(imports, 5);
    api.stop().await;
}

async fn scenario_edit_past_the_window_then_an_ignored_update(db: &str) {
    let api = Api::start(db).await;
    let page = api.store.page(NEWS).await.unwrap().unwrap();
    let a = url("edit/a");
    ingest_live(
        &api.store,
        &page,
        &[article(&a).modified("2024-03-10T09:00:00Z")],
    )
    .await;
    // Three days later by hand: the feed's rules would refuse it, an edit does not.
    let by_hand = article(&a)
        .modified("2024-03-13T09:00:00Z")
        .body("corrected")
        .html();
    let path = format!("/api/v1/articles?url={}", q(&a));
    let edit = api
        .json(
            "PUT",
            &path,
            &api.publisher,
            &json!({"html_source": by_hand}),
        )
        .await;
    assert_eq!(edit.status, 200, "{}", edit.text());
    let body = edit.json();
    assert_eq!(body["revision"], 2);
    assert_eq!(body["revisions"][0]["source"], "manual");
    assert_eq!(body["revisions"][0]["author"], "pub@example.com");
    // An edit with errors, or of another canonical URL, stores nothing.
    let broken = api
        .json(
            "PUT",
            &path,
            &api.publisher,
            &json!({"html_source": article(&a).broken().html()}),
        )
        .await;
    assert_eq!(broken.status, 422);
    assert!(
        broken.json()["error"]["diagnostics"]
            .as_array()
            .is_some_and(|d| !d.is_empty())
    );
    let other = api
        .json(
            "PUT",
            &path,
            &api.publisher,
            &json!({"html_source": article(&url("edit/other")).html()}),
        )
        .await;
    assert_eq!(other.status, 422, "{}", other.text());
    // The feed still carries a version older than the edit: ignored, and kept as pending.
    ingest_live(
        &api.store,
        &page,
        &[article(&a)
            .modified("2024-03-12T09:00:00Z")
            .body("from the feed")],
    )
    .await;
    let shown = api.get(&path, &api.publisher).await.json();
    assert_eq!(shown["revision"], 2);
    assert_eq!(shown["ignored_update"], true);
    let pending = api
        .get(
            &format!("/api/v1/articles/ignored?url={}", q(&a)),
            &api.publisher,
        )
        .await;
    assert_eq!(pending.status, 200, "{}", pending.text());
    let pending = pending.json();
    assert_eq!(pending["rule"], "update-not-newer");
    assert!(pending["html"].as_str().unwrap().contains("from the feed"));
    assert_eq!(pending["stored_op_modified"], "2024-03-13T09:00:00.000Z");
    // Applied by hand: a manual revision with the feed's text; nothing pending any more.
    let applied = api
        .send(
            "POST",
            &format!("/api/v1/articles/ignored/apply?url={}", q(&a)),
            Some(&api.publisher),
            None,
            Vec::new(),
        )
        .await;
    assert_eq!(applied.status, 200, "{}", applied.text());
    let now = api.get(&path, &api.publisher).await.json();
    assert_eq!(now["revision"], 3);
    assert!(now["html"].as_str().unwrap().contains("from the feed"));
    assert_eq!(now["ignored_update"], false);
    let gone = api
        .get(
            &format!("/api/v1/articles/ignored?url={}", q(&a)),
            &api.publisher,
        )
        .await;
    assert_eq!(gone.status, 404);
    api.stop().await;
}

async fn scenario_restore_publish_delete(db: &str) {
    let api = Api::start(db).await;
    let page = api.store.page(NEWS).await.unwrap().unwrap();
    let a = url("restore/a");
    let path = format!("/api/v1/articles?url={}", q(&a));
    api.import(NEWS, &article(&a).body("first").html(), false)
        .await;
    api.json(
        "PUT",
        &path,
        &api.publisher,
        &json!({"html_source": article(&a).body("second").html()}),
    )
    .await;
    let diff = api
        .get(
            &format!("/api/v1/articles/diff?url={}&from=1&to=2", q(&a)),
            &api.publisher,
        )
        .await;
    assert_eq!(diff.status, 200);
    assert!(
        diff.text().contains("-<p>first</p>") && diff.text().contains("+<p>second</p>"),
        "{}",
        diff.text()
    );
    let restored = api
        .send(
            "POST",
            &format!("/api/v1/articles/restore?url={}&revision=1", q(&a)),
            Some(&api.publisher),
            None,
            Vec::new(),
        )
        .await;
    assert_eq!(restored.status, 200, "{}", restored.text());
    let body = restored.json();
    assert_eq!(body["revision"], 3);
    assert_eq!(body["revisions"][0]["source"], "restore");
    assert!(body["html"].as_str().unwrap().contains("first"));
    assert_eq!(body["status"], "draft");
    let published = api
        .send(
            "POST",
            &format!("/api/v1/articles/publish?url={}", q(&a)),
            Some(&api.publisher),
            None,
            Vec::new(),
        )
        .await;
    assert_eq!(published.json()["status"], "live");
    // Deleted, then the feed brings it back as new.
    let deleted = api
        .send("DELETE", &path, Some(&api.publisher), None, Vec::new())
        .await;
    assert_eq!(deleted.status, 204);
    assert_eq!(api.get(&path, &api.publisher).await.status, 404);
    let run = ingest_live(&api.store, &page, &[article(&a)]).await;
    assert_eq!(run.run.counts.inserted, 1);
    let back = api.get(&path, &api.publisher).await.json();
    assert_eq!(back["revision"], 1);
    let actions: Vec<String> = api.get("/api/v1/audit", &api.operator).await.json()["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap().to_string())
        .collect();
    for action in [
        "article_edited",
        "article_restored",
        "article_published",
        "article_deleted",
    ] {
        assert!(
            actions.iter().any(|a| a == action),
            "{action} not in {actions:?}"
        );
    }
    api.stop().await;
}

async fn scenario_dry_run_matches_the_run_after_it(db: &str) {
    let api = Api::start(db).await;
    let page = api.store.page(NEWS).await.unwrap().unwrap();
    let (same, newer, older, draft) = (
        url("dry/same"),
        url("dry/newer"),
        url("dry/older"),
        url("dry/draft"),
    );
    ingest_live(
        &api.store,
        &page,
        &[
            article(&same),
            article(&newer).modified("2024-03-10T09:00:00Z"),
            article(&older).modified("2024-03-10T09:00:00Z"),
        ],
    )
    .await;
    api.import(NEWS, &article(&draft).html(), false).await;
    let items = [
        article(&url("dry/new")),
        article(&same),
        article(&newer)
            .modified("2024-03-10T10:00:00Z")
            .body("newer"),
        article(&older)
            .modified("2024-03-10T08:30:00Z")
            .body("older"),
        article(&draft),
        article(&url("dry/broken")).broken(),
    ];
    let feed = rss(&items);
    let before = counts(&api).await;
    let dry = api
        .send(
            "POST",
            "/api/v1/pages/news/dry-run",
            Some(&api.publisher),
            Some("application/rss+xml"),
            feed.clone().into_bytes(),
        )
        .await;
    assert_eq!(dry.status, 200, "{}", dry.text());
    assert_eq!(counts(&api).await, before, "a dry run wrote something");
    let dry = dry.json();
    let would: Vec<&str> = dry["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["would"].as_str().unwrap())
        .collect();
    assert_eq!(
        would,
        [
            "insert",
            "unchanged",
            "update",
            "ignore",
            "make_live",
            "reject"
        ]
    );
    let ignored = &dry["items"][3];
    assert_eq!(ignored["reason"], "update-not-newer");
    assert_eq!(ignored["stored_op_modified"], "2024-03-10T09:00:00.000Z");
    assert_eq!(ignored["incoming_op_modified"], "2024-03-10T08:30:00.000Z");
    // The real run right after does what the dry run said.
    let run = ingest_live(&api.store, &page, &items).await;
    let c = &run.run.counts;
    assert_eq!(
        (c.inserted, c.unchanged, c.updated, c.ignored, c.rejected),
        (1, 1, 2, 1, 1),
        "{c:?}"
    );
    let dry_counts = &dry["counts"];
    assert_eq!(dry_counts["inserted"], 1);
    assert_eq!(dry_counts["updated"], 2);
    api.stop().await;
}

/// Row counts of every table the API could write.
async fn counts(api: &Api) -> Vec<i64> {
    use sqlx::Row;
    let mut out = Vec::new();
    for table in [
        "articles",
        "article_revisions",
        "feed_runs",
        "diagnostics",
        "ignored_updates",
        "article_findings",
        "imports",
        "feeds",
    ] {
        let n: i64 = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT COUNT(*) AS n FROM {table}"
        )))
        .fetch_one(api.store.pool())
        .await
        .unwrap()
        .try_get("n")
        .unwrap();
        out.push(n);
    }
    out
}

async fn scenario_fetch_now_and_limits(db: &str) {
    let api = Api::start_with(
        db,
        iarss::fetch::FetchConfig {
            max_body_bytes: 64 * 1024,
            ..iarss::fetch::FetchConfig::default()
        },
    )
    .await;
    let first = api
        .send(
            "POST",
            "/api/v1/pages/news/fetch-now",
            Some(&api.publisher),
            None,
            Vec::new(),
        )
        .await;
    assert_eq!(first.status, 202);
    let second = api
        .send(
            "POST",
            "/api/v1/pages/news/fetch-now",
            Some(&api.operator),
            None,
            Vec::new(),
        )
        .await;
    assert_eq!(second.status, 429);
    assert_eq!(second.code(), "too_many_requests");
    let wait: u64 = second.headers["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=10).contains(&wait));
    // Over the body cap: 413, whatever the route.
    let big = vec![b'x'; 64 * 1024 + 1];
    for (method, path) in [
        ("POST", "/api/v1/pages/news/articles"),
        ("POST", "/api/v1/lint"),
        ("POST", "/api/v1/pages/news/dry-run"),
    ] {
        let answer = api
            .send(
                method,
                path,
                Some(&api.operator),
                Some("application/json"),
                big.clone(),
            )
            .await;
        assert_eq!(answer.status, 413, "{method} {path}: {}", answer.text());
        assert_eq!(answer.code(), "too_large");
    }
    // Malformed JSON: 400 with where it broke.
    let bad = api
        .send(
            "POST",
            "/api/v1/pages/news/articles",
            Some(&api.operator),
            Some("application/json"),
            b"{\"html_source\": ".to_vec(),
        )
        .await;
    assert_eq!(bad.status, 400);
    assert!(
        bad.json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("line 1")
    );
    // Lists: limit bounds and cursors.
    for i in 0..3 {
        api.import(NEWS, &article(&url(&format!("list/{i}"))).html(), true)
            .await;
    }
    let page1 = api
        .get("/api/v1/pages/news/articles?limit=2", &api.publisher)
        .await
        .json();
    assert_eq!(page1["items"].as_array().unwrap().len(), 2);
    let cursor = page1["next_cursor"].as_str().expect("a next cursor");
    let page2 = api
        .get(
            &format!("/api/v1/pages/news/articles?limit=2&cursor={}", q(cursor)),
            &api.publisher,
        )
        .await
        .json();
    assert_eq!(page2["items"].as_array().unwrap().len(), 1);
    assert!(page2["next_cursor"].is_null());
    assert_eq!(
        api.get("/api/v1/pages/news/articles?limit=501", &api.publisher)
            .await
            .status,
        400
    );
    assert_eq!(
        api.get("/api/v1/pages/news/articles?cursor=%%%", &api.publisher)
            .await
            .status,
        400
    );
    api.stop().await;
}

/// Every route with garbage, empty and odd bodies, bad query strings and paths: never a
/// 5xx, never a dropped connection, and the server still answers afterwards.
async fn scenario_garbage_never_breaks_a_route(db: &str) {
    let api = Api::start_with(
        db,
        iarss::fetch::FetchConfig {
            max_body_bytes: 256 * 1024,
            ..iarss::fetch::FetchConfig::default()
        },
    )
    .await;
    let routes = [
        ("GET", "/api/v1/pages"),
        ("POST", "/api/v1/pages"),
        ("GET", "/api/v1/pages/news"),
        ("PATCH", "/api/v1/pages/news"),
        ("DELETE", "/api/v1/pages/nope"),
        ("POST", "/api/v1/pages/news/fetch-now"),
        ("GET", "/api/v1/pages/news/runs"),
        ("GET", "/api/v1/runs/1"),
        ("GET", "/api/v1/pages/news/articles"),
        ("POST", "/api/v1/pages/news/articles"),
        ("GET", "/api/v1/articles"),
        ("PUT", "/api/v1/articles"),
        ("DELETE", "/api/v1/articles"),
        ("GET", "/api/v1/articles/revisions"),
        ("GET", "/api/v1/articles/diff"),
        ("POST", "/api/v1/articles/restore"),
        ("POST", "/api/v1/articles/publish"),
        ("GET", "/api/v1/articles/ignored"),
        ("POST", "/api/v1/articles/ignored/apply"),
        ("GET", "/api/v1/imports/1"),
        ("POST", "/api/v1/pages/news/dry-run"),
        ("POST", "/api/v1/lint"),
        ("GET", "/api/v1/rules"),
        ("GET", "/api/v1/rules/x"),
        ("GET", "/api/v1/audit"),
    ];
    let bodies: Vec<(Option<&str>, Vec<u8>)> = vec![
        (None, Vec::new()),
        (Some("application/json"), Vec::new()),
        (Some("application/json"), b"null".to_vec()),
        (Some("application/json"), b"[1,2,3]".to_vec()),
        (Some("application/json"), b"{\"html_source\": 42}".to_vec()),
        (
            Some("application/json"),
            b"{\"feed_url\": \"http://127.0.0.1:1/x\"}".to_vec(),
        ),
        (
            Some("application/json"),
            b"{\"id\": \"../x\", \"domain\": \"..\"}".to_vec(),
        ),
        (Some("application/json"), vec![0xff, 0xfe, 0x00, 0x7b]),
        (
            Some("application/rss+xml"),
            b"<rss><channel><item>".to_vec(),
        ),
        (Some("text/html"), "<html>\u{0}</html>".as_bytes().to_vec()),
        (
            Some("application/json"),
            format!("{{\"html_source\": \"{}\"}}", "<p>".repeat(40_000)).into_bytes(),
        ),
    ];
    let queries = [
        "",
        "?url=",
        "?url=%ZZ",
        "?url=https://example.com/a&revision=-1&from=x&to=99999999999999999999",
        "?limit=0&cursor=",
        "?limit=abc",
        "?status=gone&q=%00",
        "?domain=..",
        "?with_articles=maybe",
        "?feed=staging",
    ];
    for (method, path) in routes {
        for (content_type, body) in &bodies {
            for query in queries {
                let target = format!("{path}{query}");
                let sent = api
                    .try_send(
                        method,
                        &target,
                        Some(&api.operator),
                        *content_type,
                        body.clone(),
                    )
                    .await;
                let Some(answer) = sent else {
                    // The server may answer before reading a body it has no use for (a
                    // query string already wrong) and close the connection under a client
                    // still uploading a large one; it must still be there for the next.
                    assert!(body.len() > 64 * 1024, "{method} {target}: no answer");
                    assert_eq!(api.get("/api/v1/rules", &api.operator).await.status, 200);
                    continue;
                };
                assert!(
                    answer.status < 500,
                    "{method} {path}{query} ({content_type:?}, {} bytes): {} {}",
                    body.len(),
                    answer.status,
                    answer.text()
                );
                if answer.status >= 400 {
                    // Every error has the error shape; a failed import answers its import object.
                    let failed_import = answer.status == 422 && answer.json()["status"] == "failed";
                    assert!(
                        failed_import || !answer.code().is_empty(),
                        "{method} {path}{query}: {}",
                        answer.text()
                    );
                }
            }
        }
    }
    for path in [
        "/api/v1/pages/%FF",
        "/api/v1/runs/abc",
        "/api/v1/imports/-",
        "/api/v1/nothing",
        "/api/v1/",
    ] {
        let answer = api.get(path, &api.operator).await;
        assert!(
            (400..500).contains(&answer.status),
            "{path}: {}",
            answer.status
        );
    }
    let wrong = api
        .send(
            "PUT",
            "/api/v1/pages",
            Some(&api.operator),
            None,
            Vec::new(),
        )
        .await;
    assert_eq!(wrong.status, 405);
    assert_eq!(wrong.code(), "method_not_allowed");
    assert_eq!(api.get("/api/v1/pages", &api.operator).await.status, 200);
    api.stop().await;
}

/// The routes of docs/api.md: the OpenAPI document describes exactly these, and each is
/// routed (no `no_route` answer).
const DOCUMENTED: &[(&str, &str)] = &[
    ("get", "/api/v1/pages"),
    ("post", "/api/v1/pages"),
    ("get", "/api/v1/pages/{id}"),
    ("patch", "/api/v1/pages/{id}"),
    ("delete", "/api/v1/pages/{id}"),
    ("post", "/api/v1/pages/{id}/fetch-now"),
    ("get", "/api/v1/pages/{id}/runs"),
    ("get", "/api/v1/runs/{run_id}"),
    ("get", "/api/v1/pages/{id}/webhooks"),
    ("post", "/api/v1/pages/{id}/webhooks"),
    ("delete", "/api/v1/pages/{id}/webhooks/{webhook_id}"),
    ("get", "/api/v1/pages/{id}/webhooks/{webhook_id}/deliveries"),
    ("get", "/api/v1/pages/{id}/articles"),
    ("post", "/api/v1/pages/{id}/articles"),
    ("get", "/api/v1/articles"),
    ("put", "/api/v1/articles"),
    ("delete", "/api/v1/articles"),
    ("get", "/api/v1/articles/revisions"),
    ("get", "/api/v1/articles/diff"),
    ("post", "/api/v1/articles/restore"),
    ("post", "/api/v1/articles/publish"),
    ("get", "/api/v1/articles/ignored"),
    ("post", "/api/v1/articles/ignored/apply"),
    ("get", "/api/v1/imports/{import_id}"),
    ("post", "/api/v1/pages/{id}/dry-run"),
    ("post", "/api/v1/lint"),
    ("get", "/api/v1/rules"),
    ("get", "/api/v1/rules/{id}"),
    ("get", "/api/v1/audit"),
    ("get", "/api/v1/openapi.json"),
];

#[test]
fn openapi_document_and_routes_agree() {
    kit::api::block_on(async {
        let api = Api::start(&kit::api::sqlite_db("openapi")).await;
        let answer = api.get("/api/v1/openapi.json", &api.operator).await;
        assert_eq!(answer.status, 200);
        let doc = answer.json();
        assert!(
            doc["openapi"].as_str().unwrap().starts_with("3.1"),
            "{}",
            doc["openapi"]
        );
        let mut documented: Vec<(String, String)> = Vec::new();
        for (path, item) in doc["paths"].as_object().unwrap() {
            for method in item.as_object().unwrap().keys() {
                if ["get", "post", "put", "patch", "delete"].contains(&method.as_str()) {
                    documented.push((method.clone(), path.clone()));
                }
            }
        }
        documented.sort();
        let mut expected: Vec<(String, String)> = DOCUMENTED
            .iter()
            .map(|(m, p)| (m.to_string(), p.to_string()))
            .collect();
        expected.sort();
        assert_eq!(
            documented, expected,
            "the OpenAPI document and the route table differ"
        );
        for (method, path) in DOCUMENTED {
            let concrete = path
                .replace("{id}", "news")
                .replace("{run_id}", "1")
                .replace("{webhook_id}", "1")
                .replace("{import_id}", "1");
            let answer = api
                .send(
                    &method.to_uppercase(),
                    &concrete,
                    Some(&api.operator),
                    None,
                    Vec::new(),
                )
                .await;
            assert_ne!(
                answer.status, 405,
                "{method} {path} is documented but not routed"
            );
            if answer.status == 404 {
                assert_ne!(
                    answer.code(),
                    "no_route",
                    "{method} {path} is documented but not routed"
                );
            }
        }
        // An address the document does not list is not routed either.
        let stray = api.get("/api/v1/pages/news/secret", &api.operator).await;
        assert_eq!(stray.code(), "no_route");
        api.stop().await;
    });
}

/// The contract every answer of these tests is held to catches drift: a page without its
/// domain, or a status its operation does not list, fails; and the patterns the document
/// promises are the ones the server enforces.
#[test]
fn answers_that_drift_from_the_document_fail() {
    kit::api::block_on(async {
        let api = Api::start(&kit::api::sqlite_db("contract")).await;
        let page = api.get("/api/v1/pages/news", &api.operator).await;
        assert_eq!(page.status, 200);
        let mut drifted = page.json();
        drifted.as_object_mut().unwrap().remove("domain");
        let body = serde_json::to_vec(&drifted).unwrap();
        let err = api
            .contract
            .check(
                "GET",
                "/api/v1/pages/news",
                200,
                Some("application/json"),
                &body,
            )
            .unwrap_err();
        assert!(err.contains("domain"), "{err}");
        let mut retyped = page.json();
        retyped["consecutive_failures"] = json!("none");
        let body = serde_json::to_vec(&retyped).unwrap();
        assert!(
            api.contract
                .check(
                    "GET",
                    "/api/v1/pages/news",
                    200,
                    Some("application/json"),
                    &body
                )
                .is_err()
        );
        let err = api
            .contract
            .check(
                "GET",
                "/api/v1/pages/news",
                418,
                Some("application/json"),
                b"{}",
            )
            .unwrap_err();
        assert!(err.contains("does not list"), "{err}");
        let err = api
            .contract
            .check("GET", "/api/v1/pages/news", 200, Some("text/html"), b"<p>")
            .unwrap_err();
        assert!(err.contains("text/html"), "{err}");

        // The document's patterns and limits are the server's own.
        use iarss::http::api::formats;
        let doc = api.contract.doc();
        let schemas = &doc["components"]["schemas"];
        let param = |path: &str, method: &str, name: &str| {
            doc["paths"][path][method]["parameters"]
                .as_array()
                .unwrap()
                .iter()
                .find(|p| p["name"] == name)
                .unwrap_or_else(|| panic!("{method} {path} has no parameter {name}"))["schema"]
                .clone()
        };
        let cases: Vec<(Value, &formats::Format)> = vec![
            (
                schemas["PageRequest"]["properties"]["id"].clone(),
                &formats::PAGE_ID,
            ),
            (
                schemas["PageRequest"]["properties"]["domain"].clone(),
                &formats::DOMAIN,
            ),
            (
                schemas["PageRequest"]["properties"]["name"].clone(),
                &formats::PAGE_NAME,
            ),
            (
                schemas["PageRequest"]["properties"]["feed_url"].clone(),
                &formats::FEED_URL,
            ),
            (
                schemas["PageRequest"]["properties"]["dev_feed_url"].clone(),
                &formats::FEED_URL,
            ),
            (
                schemas["PagePatch"]["properties"]["name"].clone(),
                &formats::PAGE_NAME,
            ),
            (
                schemas["PagePatch"]["properties"]["feed_url"].clone(),
                &formats::FEED_URL,
            ),
            (
                schemas["PagePatch"]["properties"]["dev_feed_url"].clone(),
                &formats::FEED_URL,
            ),
            (
                schemas["DryRunUrl"]["properties"]["feed_url"].clone(),
                &formats::REMOTE_FEED_URL,
            ),
            (param("/api/v1/lint", "post", "domain"), &formats::DOMAIN),
            (
                param("/api/v1/pages/{id}/articles", "get", "q"),
                &formats::SEARCH_TEXT,
            ),
            (
                param("/api/v1/pages/{id}/articles", "get", "cursor"),
                &formats::ARTICLE_CURSOR,
            ),
            (
                param("/api/v1/pages", "get", "cursor"),
                &formats::PAGE_CURSOR,
            ),
            (param("/api/v1/audit", "get", "cursor"), &formats::ID_CURSOR),
            (
                param("/api/v1/articles", "get", "url"),
                &formats::ARTICLE_URL,
            ),
            (
                param("/api/v1/articles/diff", "get", "url"),
                &formats::ARTICLE_URL,
            ),
            (param("/api/v1/pages/{id}", "get", "id"), &formats::PAGE_ID),
        ];
        for (schema, format) in cases {
            assert_eq!(schema["pattern"], json!(format.pattern), "{schema}");
            assert_eq!(
                schema["maxLength"].as_u64(),
                format.max_chars.map(|n| n as u64),
                "{schema}"
            );
        }
        api.stop().await;
    });
}

/// `iarss serve` and `iarss daemon` both serve the API with a token made on the command
/// line; neither the token, the password nor a feed URL's credentials appear in an answer
/// or in the log, and `web.enabled = false` leaves only health and metrics.
#[test]
fn serve_and_daemon_answer_the_api_and_keep_secrets() {
    use std::process::Stdio;
    let dir = kit::scratch("api-binaries");
    let db = format!("sqlite://{}", dir.join("iarss.db").display());
    let clean = || {
        let mut cmd = kit::iarss();
        for (k, _) in std::env::vars() {
            if k.starts_with("IARSS_") {
                cmd.env_remove(k);
            }
        }
        cmd.arg("--db").arg(&db);
        cmd
    };
    let feed = "https://reader:feed-s3cret@example.com/ia.rss";
    let out = clean()
        .args([
            "pages",
            "add",
            "--id",
            "news",
            "--domain",
            "example.com",
            "--feed",
            feed,
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let password = "pass-phrase-never-shown";
    let mut add = clean()
        .args([
            "users",
            "add",
            "op@example.com",
            "--operator",
            "--password-stdin",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    writeln!(add.stdin.take().unwrap(), "{password}").unwrap();
    assert!(add.wait_with_output().unwrap().status.success());
    let out = clean()
        .args(["tokens", "create", "--user", "op@example.com"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    let token = stdout
        .lines()
        .find(|l| l.starts_with("iarss_"))
        .expect("the token on a line of its own")
        .to_string();
    for (command, web) in [("serve", "true"), ("daemon", "true"), ("serve", "false")] {
        let listen = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .unwrap();
        let log = dir.join(format!("{command}-{web}.log"));
        let mut child = clean()
            .args([command, "--listen", &listen.to_string()])
            .env("IARSS_WEB_ENABLED", web)
            .env("IARSS_LOG", "debug")
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(&log).unwrap())
            .stderr(std::fs::File::create(dir.join(format!("{command}-{web}.err"))).unwrap())
            .spawn()
            .unwrap();
        let base = format!("http://{listen}");
        let answers = kit::api::block_on(async {
            let _ = rustls::crypto::ring::default_provider().install_default();
            let client = reqwest::Client::builder().no_proxy().build().unwrap();
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
            while client.get(format!("{base}/healthz")).send().await.is_err() {
                assert!(
                    std::time::Instant::now() < deadline,
                    "{command} did not start"
                );
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
            let mut answers = Vec::new();
            for (path, with_token) in [
                ("/api/v1/pages", true),
                ("/api/v1/pages/news", true),
                ("/api/v1/openapi.json", false),
                ("/api/v1/pages", false),
            ] {
                let mut request = client.get(format!("{base}{path}"));
                if with_token {
                    request = request.bearer_auth(&token);
                }
                let response = request.send().await.unwrap();
                let status = response.status().as_u16();
                answers.push((path, with_token, status, response.text().await.unwrap()));
            }
            // A wrong token is not echoed either.
            let wrong = client
                .get(format!("{base}/api/v1/pages"))
                .bearer_auth(format!("{token}x"))
                .send()
                .await
                .unwrap();
            answers.push((
                "wrong token",
                true,
                wrong.status().as_u16(),
                wrong.text().await.unwrap(),
            ));
            answers
        });
        let _ = child.kill();
        let _ = child.wait();
        let logged = std::fs::read_to_string(&log).unwrap_or_default()
            + &std::fs::read_to_string(dir.join(format!("{command}-{web}.err")))
                .unwrap_or_default();
        for (path, with_token, status, body) in &answers {
            let expected = match (web, *path, *with_token) {
                ("false", "wrong token", _) => 404,
                ("false", _, _) => 404,
                (_, "wrong token", _) => 401,
                (_, "/api/v1/openapi.json", _) => 200,
                (_, _, true) => 200,
                (_, _, false) => 401,
            };
            assert_eq!(*status, expected, "{command} web={web} {path}: {body}");
            for secret in [token.as_str(), password, "feed-s3cret"] {
                assert!(
                    !body.contains(secret),
                    "{command} {path} shows a secret: {body}"
                );
            }
            if web == "true" && *path == "/api/v1/pages/news" {
                assert!(body.contains("reader:***@example.com"), "{body}");
            }
        }
        for secret in [token.as_str(), password, "feed-s3cret"] {
            assert!(
                !logged.contains(secret),
                "{command} logged a secret:\n{logged}"
            );
        }
    }
}
