//! Times the stages of linting a feed: reading, article parsing, the model, the rules.
use std::time::{Duration, Instant};
fn main() {
    let path = std::env::args().nth(1).expect("a feed path");
    let zone = chrono_tz::America::Los_Angeles;
    let mut items = Vec::new();
    let t = Instant::now();
    iarss::parse::read_feed(
        std::fs::read(&path).expect("read"),
        std::io::empty(),
        None,
        |i| items.push(i),
    )
    .expect("feed");
    println!("read feed: {:?}", t.elapsed());
    let mut best = [Duration::MAX; 3];
    for _ in 0..3 {
        let t = Instant::now();
        for i in &items {
            let _ = iarss::parse::dom::parse_html(&i.content.as_ref().unwrap().html);
        }
        best[0] = best[0].min(t.elapsed());
        let t = Instant::now();
        let parsed: Vec<_> = items
            .iter()
            .map(|i| iarss::parse::ParsedArticle::parse(i.content.clone().unwrap(), zone))
            .collect();
        best[1] = best[1].min(t.elapsed());
        let t = Instant::now();
        for (p, i) in parsed.iter().zip(&items) {
            let cx = iarss::validate::ArticleContext {
                item: Some(i),
                domain: None,
                zone,
            };
            let _ = iarss::validate::validate_article(p, cx);
        }
        best[2] = best[2].min(t.elapsed());
    }
    println!(
        "parse_html {:?}, parse+model {:?}, validate {:?}",
        best[0], best[1], best[2]
    );
}
