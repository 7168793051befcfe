//! Revisions and their sources, findings, ignored updates, imports, manual edits,
//! restores, publishing and deleting (docs/ingestion.md, Manual writes), through the
//! library as the API calls it, on SQLite and on PostgreSQL (`scripts/with-postgres.sh`).

use crate::kit;
use iarss::ingest::manual;
use iarss::model::ArticleStatus;
use iarss::service::views::{ArticleView, IgnoredUpdateView, RevisionView};
use iarss::store::{
    ArticleCounts, FeedKind, Findings, RevisionSource, Store, StoreError, WriteAction, WriteStatus,
};
use iarss::validate::RuleId;
use kit::publishing::{article, ingest, ingest_live, store_with_page, url};

/// The zone of offset-less times, as the daemon's default configuration has it.
const ZONE: chrono_tz::Tz = iarss::model::DEFAULT_ZONE;

/// An import without an idempotency key, decided now.
async fn import_now(
    store: &Store,
    page: &iarss::store::Page,
    html: &str,
    published: bool,
    author: &str,
) -> Result<iarss::store::ImportOutcome, StoreError> {
    let request = manual::ImportRequest {
        html,
        published,
        author,
        key: None,
    };
    match manual::import(store, page, &request, ZONE).await? {
        manual::Imported::New(outcome) => Ok(outcome),
        other => panic!("an import without a key: {other:?}"),
    }
}

crate::on_both_backends!(
    scenario_feed_revisions_record_their_run,
    scenario_findings_follow_the_last_version_seen,
    scenario_ignored_updates_are_kept_replaced_and_cleared,
    scenario_article_pages_are_keyset_paged_and_filtered,
    scenario_imports_insert_update_and_are_kept,
    scenario_imports_with_errors_or_foreign_store_nothing,
    scenario_imports_never_demote_and_may_publish,
    scenario_edits_bypass_the_update_rules_and_feed_versions_compare_with_them,
    scenario_edits_are_checked_like_feed_items,
    scenario_restores_and_publishing,
    scenario_deleted_articles_come_back_as_new,
    scenario_fetch_now_at_most_once_per_interval,
    scenario_revisions_are_capped_but_a_persons_are_kept,
);

async fn scenario_feed_revisions_record_their_run(db: &str) {
    let (store, page) = store_with_page(db).await;
    let a = url("a");
    let first = ingest_live(
        &store,
        &page,
        &[article(&a).modified("2024-03-10T09:00:00Z")],
    )
    .await;
    let second = ingest_live(
        &store,
        &page,
        &[article(&a)
            .modified("2024-03-10T10:00:00Z")
            .body("Ferries run again.")],
    )
    .await;
    assert_eq!(second.run.counts.updated, 1);
    let revisions = store.revisions(&a).await.expect("revisions");
    let listed: Vec<(i64, RevisionSource, Option<i64>)> = revisions
        .iter()
        .map(|r| (r.number, r.source, r.run_id))
        .collect();
    assert_eq!(
        listed,
        vec![
            (2, RevisionSource::Feed, second.run.id),
            (1, RevisionSource::Feed, first.run.id),
        ]
    );
    assert!(
        revisions
            .iter()
            .all(|r| r.author.is_none() && r.html.is_none() && r.status == ArticleStatus::Live)
    );
    // The current revision's text is the article's; the earlier one kept its own.
    let current = store
        .revision(&a, 2)
        .await
        .expect("read")
        .expect("revision 2");
    assert!(
        current
            .html
            .as_deref()
            .unwrap()
            .contains("Ferries run again.")
    );
    let earlier = store
        .revision(&a, 1)
        .await
        .expect("read")
        .expect("revision 1");
    assert!(
        earlier
            .html
            .as_deref()
            .unwrap()
            .contains("reopened on Friday")
    );
    assert!(store.revision(&a, 3).await.expect("read").is_none());
    let json = serde_json::to_value(RevisionView::from(&earlier)).expect("serialize");
    assert_eq!(json["source"], "feed");
    assert_eq!(json["status"], "live");
    assert_eq!(json["op_modified"], "2024-03-10T09:00:00.000Z");
    assert!(json["created_at"].as_str().unwrap().ends_with('Z'));
}

async fn scenario_findings_follow_the_last_version_seen(db: &str) {
    let (store, page) = store_with_page(db).await;
    let (a, b, c) = (url("a"), url("b"), url("c"));
    ingest_live(
        &store,
        &page,
        &[article(&a), article(&b).warning(), article(&c).broken()],
    )
    .await;
    assert_eq!(store.findings(&a).await.unwrap(), Findings::default());
    let b_findings = store.findings(&b).await.unwrap();
    assert_eq!(b_findings.errors, 0);
    assert!(b_findings.warnings > 0, "{b_findings:?}");
    // A rejected item is not stored, and has no findings.
    assert!(store.article(&c).await.unwrap().is_none());
    assert_eq!(store.findings(&c).await.unwrap(), Findings::default());
    let counts = store
        .article_counts(std::slice::from_ref(&page.id))
        .await
        .unwrap();
    assert_eq!(
        counts[&page.id],
        ArticleCounts {
            live: 2,
            draft: 0,
            with_errors: 0,
            with_warnings: 1
        }
    );

    // The stored article's last version seen has errors (rejected, the stored one stays);
    // the other one lost its warning.
    let second = ingest_live(&store, &page, &[article(&a).broken(), article(&b)]).await;
    assert_eq!(second.run.counts.rejected, 1);
    assert_eq!(second.run.counts.unchanged, 0);
    let a_findings = store.findings(&a).await.unwrap();
    assert!(a_findings.errors > 0, "{a_findings:?}");
    assert_eq!(store.findings(&b).await.unwrap(), Findings::default());
    let listed = store.articles(Some(&page.id)).await.unwrap();
    let of = |u: &str| {
        listed
            .iter()
            .find(|x| x.canonical_url == u)
            .unwrap()
            .clone()
    };
    assert_eq!(
        (of(&a).errors, of(&a).status),
        (a_findings.errors, ArticleStatus::Live)
    );
    assert_eq!((of(&b).errors, of(&b).warnings), (0, 0));
    let counts = store
        .article_counts(std::slice::from_ref(&page.id))
        .await
        .unwrap();
    assert_eq!(
        (counts[&page.id].with_errors, counts[&page.id].with_warnings),
        (1, 0)
    );
    // Another page's counts are its own; a page without articles is absent.
    let other = kit::publishing::add_page(&store, "sport", "sport.example.org").await;
    let counts = store
        .article_counts(&[page.id.clone(), other.id.clone()])
        .await
        .unwrap();
    assert!(!counts.contains_key(&other.id));
    assert_eq!(counts[&page.id].live, 2);
}

async fn scenario_ignored_updates_are_kept_replaced_and_cleared(db: &str) {
    let (store, page) = store_with_page(db).await;
    let a = url("a");
    ingest_live(
        &store,
        &page,
        &[article(&a).modified("2024-03-10T09:00:00Z")],
    )
    .await;
    assert!(store.ignored_update(&a).await.unwrap().is_none());

    // Changed, not newer: refused and kept.
    let stale = article(&a)
        .modified("2024-03-10T09:00:00Z")
        .body("Stale edit.");
    let refused = ingest_live(&store, &page, std::slice::from_ref(&stale)).await;
    assert_eq!(refused.run.counts.ignored, 1);
    let pending = store.ignored_update(&a).await.unwrap().expect("pending");
    assert_eq!(pending.rule, RuleId::UpdateNotNewer);
    assert_eq!(pending.run_id, refused.run.id.unwrap());
    assert_eq!(pending.page_id, page.id);
    assert!(pending.html.contains("Stale edit."));
    assert_eq!(pending.op_modified, Some(1_710_061_200_000));
    let revisions = store.revisions(&a).await.unwrap();
    let json =
        serde_json::to_value(IgnoredUpdateView::of(&pending, None, &revisions, false)).unwrap();
    assert_eq!(json["rule"], "update-not-newer");
    // Only feed versions so far: applying it reverts no one's hand edit.
    assert_eq!(json["predates_manual_version"], false);
    assert_eq!(json["op_modified"], "2024-03-10T09:00:00.000Z");
    assert!(store.articles(None).await.unwrap()[0].ignored_update);

    // The same version refused again is kept as it was.
    ingest_live(&store, &page, std::slice::from_ref(&stale)).await;
    let again = store.ignored_update(&a).await.unwrap().expect("pending");
    assert_eq!(again.run_id, pending.run_id);

    // A newer refusal replaces it.
    let far = article(&a)
        .modified("2024-03-12T09:00:00Z")
        .body("Far edit.");
    let replaced = ingest_live(&store, &page, &[far]).await;
    let pending = store.ignored_update(&a).await.unwrap().expect("pending");
    assert_eq!(pending.rule, RuleId::UpdateOutside24hWindow);
    assert_eq!(pending.run_id, replaced.run.id.unwrap());
    assert!(pending.html.contains("Far edit."));

    // An applied version clears it.
    let applied = ingest_live(
        &store,
        &page,
        &[article(&a)
            .modified("2024-03-10T10:00:00Z")
            .body("Good edit.")],
    )
    .await;
    assert_eq!(applied.run.counts.updated, 1);
    assert!(store.ignored_update(&a).await.unwrap().is_none());
    assert!(!store.articles(None).await.unwrap()[0].ignored_update);
}

async fn scenario_article_pages_are_keyset_paged_and_filtered(db: &str) {
    let (store, page) = store_with_page(db).await;
    let mut items = Vec::new();
    for i in 0..7 {
        let mut a = article(&url(&format!("story-{i}")));
        a.title = format!("Story number {i}");
        items.push(a);
    }
    items[4].title = "The Harbour REOPENS".into();
    ingest_live(&store, &page, &items).await;
    let mut drafts = Vec::new();
    for i in 0..2 {
        drafts.push(article(&url(&format!("draft-{i}"))));
    }
    ingest(&store, &page, FeedKind::Development, &drafts).await;

    // Every article once, newest change first, three at a time.
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    let mut screens = 0;
    loop {
        let (items, next) = store
            .article_page(&page.id, None, None, cursor.as_deref(), 3)
            .await
            .unwrap();
        screens += 1;
        assert!(items.len() <= 3);
        seen.extend(items.into_iter().map(|a| (a.updated_at, a.canonical_url)));
        match next {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    assert_eq!(screens, 3);
    assert_eq!(seen.len(), 9);
    let mut sorted = seen.clone();
    sorted.sort_by(|x, y| y.cmp(x));
    assert_eq!(seen, sorted, "newest change first, then by URL descending");
    // The drafts were inserted last, so they come first.
    assert!(seen[0].1.contains("draft-") && seen[1].1.contains("draft-"));

    // By status.
    let (live, next) = store
        .article_page(&page.id, Some(ArticleStatus::Live), None, None, 50)
        .await
        .unwrap();
    assert_eq!((live.len(), next), (7, None));
    assert!(live.iter().all(|a| a.status == ArticleStatus::Live));
    let (first, next) = store
        .article_page(&page.id, Some(ArticleStatus::Draft), None, None, 1)
        .await
        .unwrap();
    let (second, last) = store
        .article_page(
            &page.id,
            Some(ArticleStatus::Draft),
            None,
            next.as_deref(),
            1,
        )
        .await
        .unwrap();
    assert_eq!(last, None);
    assert_ne!(first[0].canonical_url, second[0].canonical_url);

    // By title or URL, case-insensitively.
    let (found, _) = store
        .article_page(&page.id, None, Some("harbour reopens"), None, 50)
        .await
        .unwrap();
    // The drafts' titles are the default one, which has it too.
    assert_eq!(found.len(), 3);
    let (found, _) = store
        .article_page(
            &page.id,
            Some(ArticleStatus::Live),
            Some("STORY-3"),
            None,
            50,
        )
        .await
        .unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].canonical_url, url("story-3"));
    // `_` and `%` are searched for as themselves.
    for literal in ["story_3", "story%3"] {
        let (found, _) = store
            .article_page(&page.id, None, Some(literal), None, 50)
            .await
            .unwrap();
        assert!(found.is_empty(), "{literal}");
    }
    let json = serde_json::to_value(ArticleView::from(&found[0])).unwrap();
    for key in [
        "revision",
        "errors",
        "warnings",
        "ignored_update",
        "updated_at",
    ] {
        assert!(json.get(key).is_some(), "{key} in {json}");
    }
    assert!(json.get("html").is_none());

    // A cursor no list handed out.
    assert!(matches!(
        store
            .article_page(&page.id, None, None, Some("nonsense"), 3)
            .await,
        Err(StoreError::BadCursor(_))
    ));
}

fn rules(diagnostics: &[iarss::model::Diagnostic]) -> Vec<&'static str> {
    diagnostics.iter().map(|d| d.rule.as_str()).collect()
}

async fn scenario_imports_insert_update_and_are_kept(db: &str) {
    let (store, page) = store_with_page(db).await;
    let a = url("imported");
    let html = article(&a).warning().html();
    let first = import_now(&store, &page, &html, true, "ed@example.com")
        .await
        .unwrap();
    assert_eq!(
        (first.status, first.action, first.canonical_url.as_deref()),
        (
            WriteStatus::Success,
            WriteAction::Inserted,
            Some(a.as_str())
        )
    );
    assert_eq!(first.verdict, iarss::validate::Verdict::Warn);
    assert!(rules(&first.diagnostics).contains(&"empty-element"));
    let stored = store.article(&a).await.unwrap().expect("stored");
    assert_eq!((stored.status, stored.revision), (ArticleStatus::Live, 1));
    assert_eq!(stored.html.as_deref(), Some(html.as_str()));
    assert!(stored.warnings > 0);
    let revisions = store.revisions(&a).await.unwrap();
    assert_eq!(revisions.len(), 1);
    assert_eq!(revisions[0].source, RevisionSource::Import);
    assert_eq!(revisions[0].author.as_deref(), Some("ed@example.com"));
    assert_eq!(revisions[0].run_id, None);

    // The same HTML again: unchanged, and still answered and kept.
    let again = import_now(&store, &page, &html, true, "ed@example.com")
        .await
        .unwrap();
    assert_eq!(again.action, WriteAction::Unchanged);
    assert_ne!(again.import_id, first.import_id);
    // New content, whatever its times: updated.
    let older = article(&a)
        .modified("2020-01-01T00:00:00Z")
        .body("Imported again.");
    let updated = import_now(&store, &page, &older.html(), true, "ed@example.com")
        .await
        .unwrap();
    assert_eq!(updated.action, WriteAction::Updated);
    assert_eq!(store.article(&a).await.unwrap().unwrap().revision, 2);
    // Its findings are the new version's (a warning about its odd times, the other gone).
    assert_eq!(
        rules(&updated.diagnostics),
        ["op-modified-before-published"]
    );
    assert_eq!(
        store.findings(&a).await.unwrap(),
        Findings {
            errors: 0,
            warnings: 1
        }
    );

    // Every answer can be read again, with its page.
    let (page_id, kept) = store.import(first.import_id).await.unwrap().expect("kept");
    assert_eq!(page_id, page.id);
    assert_eq!(kept, first);
    let json = serde_json::to_value(&kept).unwrap();
    assert_eq!(json["status"], "success");
    assert_eq!(json["action"], "inserted");
    assert_eq!(json["verdict"], "warn");
    assert_eq!(json["diagnostics"][0]["severity"], "warning");
    assert!(
        json["diagnostics"][0]["help"]
            .as_str()
            .unwrap()
            .contains("iarss explain")
    );
    assert!(
        store
            .import(first.import_id + 1000)
            .await
            .unwrap()
            .is_none()
    );
}

async fn scenario_imports_with_errors_or_foreign_store_nothing(db: &str) {
    let (store, page) = store_with_page(db).await;
    let a = url("broken");
    let failed = import_now(&store, &page, &article(&a).broken().html(), true, "ed")
        .await
        .unwrap();
    assert_eq!(
        (failed.status, failed.action),
        (WriteStatus::Failed, WriteAction::Rejected)
    );
    assert_eq!(failed.verdict, iarss::validate::Verdict::Reject);
    assert!(rules(&failed.diagnostics).contains(&"missing-op-published"));
    assert!(failed.is_failed());
    assert!(store.article(&a).await.unwrap().is_none());
    assert!(store.revisions(&a).await.unwrap().is_empty());
    let (_, kept) = store.import(failed.import_id).await.unwrap().expect("kept");
    assert_eq!(kept, failed);

    // Another domain.
    let foreign = "https://elsewhere.example.org/story";
    let answer = import_now(&store, &page, &article(foreign).html(), true, "ed")
        .await
        .unwrap();
    assert_eq!(answer.action, WriteAction::Rejected);
    assert!(rules(&answer.diagnostics).contains(&"canonical-domain-mismatch"));
    assert!(store.article(foreign).await.unwrap().is_none());

    // Stored under another page (domains nest): foreign too.
    let sport = kit::publishing::add_page(&store, "sport", "sport.example.com").await;
    let s = "https://sport.example.com/match";
    ingest_live(&store, &sport, &[article(s)]).await;
    let answer = import_now(
        &store,
        &page,
        &article(s).body("Mine now.").html(),
        true,
        "ed",
    )
    .await
    .unwrap();
    assert_eq!(answer.action, WriteAction::Rejected);
    assert!(rules(&answer.diagnostics).contains(&"canonical-domain-mismatch"));
    assert_eq!(store.article(s).await.unwrap().unwrap().revision, 1);
    assert_eq!(store.articles(Some(&page.id)).await.unwrap().len(), 0);
}

async fn scenario_imports_never_demote_and_may_publish(db: &str) {
    let (store, page) = store_with_page(db).await;
    let live = url("live");
    ingest_live(&store, &page, &[article(&live)]).await;
    let answer = import_now(
        &store,
        &page,
        &article(&live).body("Draft text.").html(),
        false,
        "ed",
    )
    .await
    .unwrap();
    assert_eq!(answer.action, WriteAction::Updated);
    let stored = store.article(&live).await.unwrap().unwrap();
    assert_eq!(stored.status, ArticleStatus::Live);
    assert!(stored.html.unwrap().contains("Draft text."));

    // An unpublished import is a draft; a published one of the same text makes it live.
    let d = url("draft");
    let html = article(&d).html();
    let first = import_now(&store, &page, &html, false, "ed").await.unwrap();
    assert_eq!(first.action, WriteAction::Inserted);
    assert_eq!(
        store.article(&d).await.unwrap().unwrap().status,
        ArticleStatus::Draft
    );
    let published = import_now(&store, &page, &html, true, "ed").await.unwrap();
    assert_eq!(published.action, WriteAction::Updated);
    let stored = store.article(&d).await.unwrap().unwrap();
    assert_eq!((stored.status, stored.revision), (ArticleStatus::Live, 1));
}

async fn scenario_edits_bypass_the_update_rules_and_feed_versions_compare_with_them(db: &str) {
    let (store, page) = store_with_page(db).await;
    let a = url("a");
    ingest_live(
        &store,
        &page,
        &[article(&a).modified("2024-03-10T09:00:00Z")],
    )
    .await;
    // Two days later: a feed would refuse it (24 h window); the editor applies it.
    let edited = article(&a)
        .modified("2024-03-12T09:00:00Z")
        .body("Corrected by hand.");
    let outcome = manual::edit(
        &store,
        &page,
        &manual::ManualEdit {
            canonical_url: &a,
            html: &edited.html(),
            author: "ed@example.com",
            source: RevisionSource::Manual,
        },
        ZONE,
    )
    .await
    .unwrap();
    assert_eq!(
        (outcome.status, outcome.action, outcome.revision),
        (WriteStatus::Success, WriteAction::Updated, Some(2))
    );
    assert!(!outcome.is_rejected());
    let stored = store.article(&a).await.unwrap().unwrap();
    assert_eq!(stored.status, ArticleStatus::Live);
    assert_eq!(stored.op_modified, Some(1_710_234_000_000));
    let revisions = store.revisions(&a).await.unwrap();
    assert_eq!(revisions[0].source, RevisionSource::Manual);
    assert_eq!(revisions[0].author.as_deref(), Some("ed@example.com"));
    // A later feed version is compared with the edit: older, so refused and kept pending.
    let feed_version = article(&a)
        .modified("2024-03-10T10:00:00Z")
        .body("The feed's own correction.");
    let run = ingest_live(&store, &page, &[feed_version]).await;
    assert_eq!(run.run.counts.ignored, 1);
    let pending = store.ignored_update(&a).await.unwrap().expect("pending");
    assert_eq!(pending.rule, RuleId::UpdateNotNewer);
    assert!(store.article(&a).await.unwrap().unwrap().ignored_update);
    // Applied by hand: a manual revision with its HTML, and nothing pending any more.
    let applied = manual::apply_ignored(&store, &page, &a, "ed@example.com", ZONE)
        .await
        .unwrap();
    assert_eq!(
        (applied.action, applied.revision),
        (WriteAction::Updated, Some(3))
    );
    let stored = store.article(&a).await.unwrap().unwrap();
    assert!(stored.html.unwrap().contains("The feed's own correction."));
    assert!(!stored.ignored_update);
    assert!(store.ignored_update(&a).await.unwrap().is_none());
    assert_eq!(
        store.revisions(&a).await.unwrap()[0].source,
        RevisionSource::Manual
    );
    assert!(matches!(
        manual::apply_ignored(&store, &page, &a, "ed", ZONE).await,
        Err(StoreError::NoIgnoredUpdate(_))
    ));
    // The same text again: unchanged, no revision.
    let same = manual::edit(
        &store,
        &page,
        &manual::ManualEdit {
            canonical_url: &a,
            html: &store.article(&a).await.unwrap().unwrap().html.unwrap(),
            author: "ed",
            source: RevisionSource::Manual,
        },
        ZONE,
    )
    .await
    .unwrap();
    assert_eq!(
        (same.action, same.revision),
        (WriteAction::Unchanged, Some(3))
    );
    assert_eq!(store.revisions(&a).await.unwrap().len(), 3);
}

async fn scenario_edits_are_checked_like_feed_items(db: &str) {
    let (store, page) = store_with_page(db).await;
    let a = url("a");
    ingest_live(&store, &page, &[article(&a)]).await;
    // Errors: rejected with the diagnostics, nothing stored.
    let broken = manual::edit(
        &store,
        &page,
        &manual::ManualEdit {
            canonical_url: &a,
            html: &article(&a).broken().body("Broken.").html(),
            author: "ed",
            source: RevisionSource::Manual,
        },
        ZONE,
    )
    .await
    .unwrap();
    assert!(broken.is_rejected());
    assert_eq!(broken.status, WriteStatus::Failed);
    assert!(rules(&broken.diagnostics).contains(&"missing-op-published"));
    assert!(broken.message().contains("error"), "{}", broken.message());
    // Another canonical URL: rejected, with where it is written.
    let other = url("b");
    let moved = manual::edit(
        &store,
        &page,
        &manual::ManualEdit {
            canonical_url: &a,
            html: &article(&other).html(),
            author: "ed",
            source: RevisionSource::Manual,
        },
        ZONE,
    )
    .await
    .unwrap();
    assert!(moved.is_rejected());
    let d = moved
        .diagnostics
        .iter()
        .find(|d| d.rule == RuleId::UpdateCanonicalChanged)
        .expect("update-canonical-changed");
    assert!(d.is_error());
    assert_eq!(d.position.map(|p| p.line), Some(5));
    assert!(moved.message().contains(&other));
    // Nothing stored by either.
    let stored = store.article(&a).await.unwrap().unwrap();
    assert_eq!(stored.revision, 1);
    assert!(store.article(&other).await.unwrap().is_none());
    assert_eq!(store.findings(&a).await.unwrap(), Findings::default());
    // Only an article of the page can be edited.
    let sport = kit::publishing::add_page(&store, "sport", "sport.example.org").await;
    for (p, u) in [(&page, url("missing")), (&sport, a.clone())] {
        let html = article(&u).html();
        assert!(matches!(
            manual::edit(
                &store,
                p,
                &manual::ManualEdit {
                    canonical_url: &u,
                    html: &html,
                    author: "ed",
                    source: RevisionSource::Manual,
                },
                ZONE,
            )
            .await,
            Err(StoreError::NoSuchArticle(_))
        ));
    }
}

async fn scenario_restores_and_publishing(db: &str) {
    let (store, page) = store_with_page(db).await;
    let a = url("a");
    ingest(
        &store,
        &page,
        FeedKind::Development,
        &[article(&a).modified("2024-03-10T09:00:00Z")],
    )
    .await;
    ingest(
        &store,
        &page,
        FeedKind::Development,
        &[article(&a).modified("2024-03-10T10:00:00Z").body("Second.")],
    )
    .await;
    let restored = manual::restore(&store, &page, &a, 1, "ed", ZONE)
        .await
        .unwrap();
    assert_eq!(
        (restored.action, restored.revision),
        (WriteAction::Updated, Some(3))
    );
    let stored = store.article(&a).await.unwrap().unwrap();
    assert_eq!(stored.status, ArticleStatus::Draft, "status kept");
    assert!(stored.html.unwrap().contains("reopened on Friday"));
    let revisions = store.revisions(&a).await.unwrap();
    let sources: Vec<RevisionSource> = revisions.iter().map(|r| r.source).collect();
    assert_eq!(
        sources,
        [
            RevisionSource::Restore,
            RevisionSource::Feed,
            RevisionSource::Feed
        ]
    );
    assert_eq!(revisions[0].author.as_deref(), Some("ed"));
    assert!(matches!(
        manual::restore(&store, &page, &a, 9, "ed", ZONE).await,
        Err(StoreError::NoSuchRevision { revision: 9, .. })
    ));
    // Restoring the current text changes nothing.
    let same = manual::restore(&store, &page, &a, 3, "ed", ZONE)
        .await
        .unwrap();
    assert_eq!(same.action, WriteAction::Unchanged);

    assert!(store.publish(&page.id, &a).await.unwrap());
    assert_eq!(
        store.article(&a).await.unwrap().unwrap().status,
        ArticleStatus::Live
    );
    assert!(!store.publish(&page.id, &a).await.unwrap(), "already live");
    assert!(matches!(
        store.publish(&page.id, &url("missing")).await,
        Err(StoreError::NoSuchArticle(_))
    ));
    assert_eq!(
        store.revisions(&a).await.unwrap().len(),
        3,
        "publishing adds no revision"
    );
}

async fn scenario_deleted_articles_come_back_as_new(db: &str) {
    let (store, page) = store_with_page(db).await;
    let a = url("a");
    ingest_live(
        &store,
        &page,
        &[article(&a).modified("2024-03-10T09:00:00Z").warning()],
    )
    .await;
    let stale = article(&a)
        .body("Stale.")
        .modified("2024-03-10T08:00:00Z")
        .warning();
    ingest_live(&store, &page, std::slice::from_ref(&stale)).await;
    assert!(store.ignored_update(&a).await.unwrap().is_some());
    assert!(store.findings(&a).await.unwrap().warnings > 0);
    store.delete_article(&page.id, &a).await.unwrap();
    assert!(store.article(&a).await.unwrap().is_none());
    assert!(store.ignored_update(&a).await.unwrap().is_none());
    assert_eq!(store.findings(&a).await.unwrap(), Findings::default());
    assert!(store.revisions(&a).await.unwrap().is_empty());
    assert!(store.warnings(None, Some(&a)).await.unwrap().is_empty());
    assert!(matches!(
        store.delete_article(&page.id, &a).await,
        Err(StoreError::NoSuchArticle(_))
    ));
    // Still in the feed: inserted again, as new, whatever its times.
    let again = ingest_live(&store, &page, &[stale]).await;
    assert_eq!(again.run.counts.inserted, 1);
    let stored = store.article(&a).await.unwrap().unwrap();
    assert_eq!(stored.revision, 1);
    assert!(stored.html.unwrap().contains("Stale."));

    // Removing the page with its articles takes their findings, ignored updates and
    // imports along.
    let newer = article(&a).body("Newer.").modified("2024-03-09T00:00:00Z");
    ingest_live(&store, &page, &[newer]).await;
    assert!(store.ignored_update(&a).await.unwrap().is_some());
    let imported = import_now(&store, &page, &article(&url("b")).html(), false, "ed")
        .await
        .unwrap();
    store.remove_page(&page.id, true).await.unwrap();
    assert!(store.ignored_update(&a).await.unwrap().is_none());
    assert_eq!(store.findings(&a).await.unwrap(), Findings::default());
    assert!(store.import(imported.import_id).await.unwrap().is_none());
}

async fn scenario_fetch_now_at_most_once_per_interval(db: &str) {
    let (store, page) = store_with_page(db).await;
    let before = store
        .feed_state(&page.id, FeedKind::Production)
        .await
        .unwrap()
        .unwrap()
        .next_due_at
        .unwrap();
    // Far from due: the page's feed was added with a phase within the cycle.
    assert!(store.request_fetch_now(&page.id, 10_000).await.unwrap());
    let due = store
        .feed_state(&page.id, FeedKind::Production)
        .await
        .unwrap()
        .unwrap()
        .next_due_at
        .unwrap();
    let now = iarss::store::now_ms();
    assert!(
        (due - now).abs() < 5_000,
        "due {due}, now {now}, was {before}"
    );
    // Again at once: refused, whoever asks.
    assert!(!store.request_fetch_now(&page.id, 10_000).await.unwrap());
    let other = Store::open(db).await.unwrap();
    assert!(!other.request_fetch_now(&page.id, 10_000).await.unwrap());
    // With a shorter interval, once it has passed: allowed again.
    tokio::time::sleep(std::time::Duration::from_millis(30)).await;
    assert!(store.request_fetch_now(&page.id, 20).await.unwrap());
    assert!(matches!(
        store.request_fetch_now("nobody", 10_000).await,
        Err(StoreError::NoSuchPage(_))
    ));
}

/// `store.keep_revisions`: an article that changes often keeps its newest revisions only,
/// and besides them a revision a person wrote within `store.retention`; the current text
/// and every kept revision's text stay readable, and one removed answers as missing.
async fn scenario_revisions_are_capped_but_a_persons_are_kept(db: &str) {
    use iarss::store::{RevisionCap, StoreOptions};
    let options = StoreOptions {
        revisions: RevisionCap {
            keep: Some(3),
            person_window_ms: Some(3_600_000),
        },
        ..StoreOptions::default()
    };
    let store = Store::open_with(db, &options).await.unwrap();
    let page = kit::publishing::add_page(&store, "news", kit::publishing::DOMAIN).await;
    let a = url("a");
    let at = |minute: u32| format!("2024-03-10T09:{minute:02}:00Z");
    ingest_live(
        &store,
        &page,
        &[article(&a).modified(&at(0)).body("Version 1.")],
    )
    .await;
    // Revision 2 by hand.
    let edited = article(&a).modified(&at(1)).body("Version 2, by hand.");
    manual::edit(
        &store,
        &page,
        &manual::ManualEdit {
            canonical_url: &a,
            html: &edited.html(),
            author: "ed@example.com",
            source: RevisionSource::Manual,
        },
        ZONE,
    )
    .await
    .unwrap();
    // Revisions 3 to 8 from the feed.
    for n in 3..=8u32 {
        let body = format!("Version {n}.");
        ingest_live(&store, &page, &[article(&a).modified(&at(n)).body(&body)]).await;
    }
    let kept: Vec<(i64, RevisionSource)> = store
        .revisions(&a)
        .await
        .unwrap()
        .iter()
        .map(|r| (r.number, r.source))
        .collect();
    assert_eq!(
        kept,
        vec![
            (8, RevisionSource::Feed),
            (7, RevisionSource::Feed),
            (6, RevisionSource::Feed),
            (2, RevisionSource::Manual),
        ],
        "the newest three and the person's edit"
    );
    let html = |n: i64| {
        let store = store.clone();
        let a = a.clone();
        async move { store.revision(&a, n).await.unwrap() }
    };
    let person = html(2).await.expect("the edit is kept");
    assert!(
        person
            .html
            .unwrap_or_default()
            .contains("Version 2, by hand.")
    );
    assert!(
        html(6)
            .await
            .unwrap()
            .html
            .unwrap_or_default()
            .contains("Version 6.")
    );
    assert!(html(5).await.is_none(), "revision 5 is removed");
    let current = store.article(&a).await.unwrap().unwrap();
    assert_eq!(current.revision, 8);
    assert!(current.html.unwrap_or_default().contains("Version 8."));
}
