//! Revisions and their sources, findings, ignored updates, imports, manual edits,
//! restores, publishing and deleting (docs/ingestion.md, Manual writes), through the
//! library as the API calls it, on SQLite and on PostgreSQL (`scripts/with-postgres.sh`).

mod common;
mod publishing;

use iarss::model::ArticleStatus;
use iarss::store::RevisionSource;
use publishing::{article, ingest_live, store_with_page, url};

on_both_backends!(scenario_feed_revisions_record_their_run,);

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
