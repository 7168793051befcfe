//! Reads a feed without checking articles, to time the XML side alone.
fn main() {
    let path = std::env::args().nth(1).expect("a feed path");
    for _ in 0..5 {
        let t = std::time::Instant::now();
        let mut n = 0usize;
        let f = std::fs::File::open(&path).expect("open");
        iarss::parse::read_feed(Vec::new(), f, None, |i| {
            n += i.content.map_or(0, |c| c.html.len());
        })
        .expect("feed");
        println!("{:?} {n}", t.elapsed());
    }
}
