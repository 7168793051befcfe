//! Revisions and their sources, findings, ignored updates, imports, manual edits,
//! restores, publishing and deleting (docs/ingestion.md, Manual writes), through the
//! library as the API calls it, on SQLite and on PostgreSQL (`scripts/with-postgres.sh`).

mod common;
mod publishing;

use iarss::model::ArticleStatus;
use iarss::store::{ArticleCounts, FeedKind, Findings, RevisionSource, StoreError};
use iarss::validate::RuleId;
use publishing::{article, ingest, ingest_live, store_with_page, url};

on_both_backends!(
    scenario_feed_revisions_record_their_run,
    scenario_findings_follow_the_last_version_seen,
    scenario_ignored_updates_are_kept_replaced_and_cleared,
    scenario_article_pages_are_keyset_paged_and_filtered,
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
    let json = serde_json::to_value(&earlier).expect("serialize");
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
    let other = publishing::add_page(&store, "sport", "sport.example.org").await;
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
    let json = serde_json::to_value(&pending).unwrap();
    assert_eq!(json["rule"], "update-not-newer");
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
    let json = serde_json::to_value(&found[0]).unwrap();
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
        Err(StoreError::InvalidCursor(_))
    ));
}
