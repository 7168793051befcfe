//! Lint throughput and memory, next to a plain pipeline (quick-xml item extraction +
//! scraper parse + 11 selector queries per article) measured in the same run.
//!
//! `cargo bench --bench lint` generates the reference feeds with `tests/kit/feedgen.rs`
//! into `target/bench-data/` (once) and prints MB/s of feed, articles/s, the ratio to the
//! plain pipeline, multi-core scaling, peak memory, and the time to decide each
//! pathological shape. `BENCH_PROFILE=N` runs only the lint of the large feed, N times (on
//! `BENCH_THREADS` threads, default 1), to be profiled (`perf record`); `BENCH_PAIRS=N` runs
//! only N pairs of the large feed's 1-core and all-core lint and prints each.

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use feedgen::FeedSpec;

use iarss::model::Domain;
use iarss::validate::{CheckOptions, check_input};
use quick_xml::events::Event;

#[path = "../tests/kit/feedgen.rs"]
mod feedgen;

// The same allocator as the `iarss` binary, for both pipelines.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn data_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench-data");
    std::fs::create_dir_all(&dir).expect("create target/bench-data");
    dir
}

/// The feed of `spec`, generated unless a previous run left it in `target/bench-data/`.
fn feed(name: &str, spec: &FeedSpec) -> PathBuf {
    feedgen::cached(&data_dir(), name, spec)
}

/// Rounds of the throughput table: the issue of a ratio is decided by the median of this
/// many pairs.
const ROUNDS: usize = 7;

/// Times `a` and `b` one after the other, `a` first when `a_first`; returns each one's time
/// and result, in the order `(a, b)`.
fn timed_pair(
    a_first: bool,
    mut a: impl FnMut() -> usize,
    mut b: impl FnMut() -> usize,
) -> ((Duration, usize), (Duration, usize)) {
    let time = |f: &mut dyn FnMut() -> usize| {
        let t = Instant::now();
        let n = f();
        (t.elapsed(), n)
    };
    if a_first {
        let ra = time(&mut a);
        (ra, time(&mut b))
    } else {
        let rb = time(&mut b);
        (time(&mut a), rb)
    }
}

/// The median of `values` (sorted in place).
fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    let mid = values.len() / 2;
    if values.len() % 2 == 1 {
        values[mid]
    } else {
        (values[mid - 1] + values[mid]) / 2.0
    }
}

/// "min-max" of `values`, two decimals.
fn spread(values: &mut [f64]) -> String {
    values.sort_by(f64::total_cmp);
    format!(
        "{:.2}-{:.2}",
        values.first().copied().unwrap_or(0.0),
        values.last().copied().unwrap_or(0.0)
    )
}

/// The plain pipeline: quick-xml extracts each item's content:encoded, scraper parses it,
/// and 11 selector queries run on it.
fn plain_pipeline(path: &Path) -> usize {
    use scraper::{Html, Selector};
    let selectors: Vec<Selector> = [
        "link[rel=canonical]",
        "meta[property=\"op:markup_version\"]",
        "article",
        "header h1",
        "time.op-published",
        "time.op-modified",
        "figure",
        "p",
        "figure.op-interactive iframe",
        "figure.op-ad",
        "footer",
    ]
    .iter()
    .map(|s| Selector::parse(s).expect("selector"))
    .collect();
    let mut reader =
        quick_xml::Reader::from_reader(BufReader::new(File::open(path).expect("open")));
    let mut buf = Vec::new();
    let mut in_content = false;
    let mut html = String::new();
    let mut articles = 0;
    let mut found = 0usize;
    loop {
        match reader.read_event_into(&mut buf).expect("xml") {
            Event::Start(e) if e.name().as_ref() == "content:encoded" => {
                in_content = true;
                html.clear();
            }
            Event::End(e) if e.name().as_ref() == "content:encoded" => {
                in_content = false;
                let doc = Html::parse_document(&html);
                for s in &selectors {
                    found += doc.select(s).count();
                }
                articles += 1;
            }
            Event::CData(t) if in_content => html.push_str(&t.into_inner()),
            Event::Text(t) if in_content => html.push_str(&t.into_inner()),
            Event::GeneralRef(r) if in_content => {
                html.push(match &*r.into_inner() {
                    "lt" => '<',
                    "gt" => '>',
                    "amp" => '&',
                    "quot" => '"',
                    _ => '\'',
                });
            }
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    std::hint::black_box(found);
    articles
}

fn lint(path: &Path, threads: usize) -> usize {
    let options = CheckOptions {
        domain: Some(Domain::parse("news.example.com").expect("domain")),
        threads,
        budget: None,
        ..CheckOptions::default()
    };
    let mut file = File::open(path).expect("open");
    let mut head = vec![0u8; 64 * 1024];
    let n = file.read(&mut head).expect("read");
    head.truncate(n);
    let report = check_input(head, file, &options);
    report.articles.len()
}

/// Threads kept for the whole bench, each running a 1-core lint when told to: `cores` of
/// them at once, all independent, show what this machine gives `cores` cores (the ceiling
/// the scaling is read against: a host that does not give its second core in full lowers
/// both alike; each copy reads the file itself, so for short runs it is a reference, not a
/// bound).
struct Copies {
    go: Vec<std::sync::mpsc::Sender<PathBuf>>,
    done: std::sync::mpsc::Receiver<usize>,
}

impl Copies {
    fn new(n: usize) -> Self {
        let (report, done) = std::sync::mpsc::channel();
        let go = (0..n)
            .map(|_| {
                let (go, paths) = std::sync::mpsc::channel::<PathBuf>();
                let report = report.clone();
                std::thread::spawn(move || {
                    for path in paths {
                        let _ = report.send(lint(&path, 1));
                    }
                });
                go
            })
            .collect();
        Copies { go, done }
    }

    /// Lints `path` on every thread at once; the number of articles each saw.
    fn run(&self, path: &Path) -> Vec<usize> {
        for go in &self.go {
            go.send(path.to_path_buf()).expect("a copy thread ended");
        }
        self.go
            .iter()
            .map(|_| self.done.recv().expect("a copy thread ended"))
            .collect()
    }
}

fn mb(path: &Path) -> f64 {
    std::fs::metadata(path).map(|m| m.len()).unwrap_or(0) as f64 / 1e6
}

/// Peak resident memory (MB) of `iarss lint FILE`: the child's `VmHWM` (its own address
/// space's high-water mark, which starts afresh at `exec`), read until it exits. What it may
/// still allocate after the last read (every millisecond) is not counted.
fn peak_rss_mb(path: &Path) -> f64 {
    let mut child = Command::new(env!("CARGO_BIN_EXE_iarss"))
        .args([
            "lint",
            "--format",
            "json",
            "--output",
            "/dev/null",
            "--domain",
            "news.example.com",
            // The large feed is larger than a download may be; the cap is not measured here.
            "--max-bytes",
            "1000000000",
        ])
        .arg(path)
        .spawn()
        .expect("run iarss lint");
    let status_file = format!("/proc/{}/status", child.id());
    let mut peak_kb = 0.0f64;
    let status = loop {
        // After exit (a zombie) the file has no VmHWM line any more.
        if let Ok(text) = std::fs::read_to_string(&status_file)
            && let Some(kb) = text
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.split_whitespace().next())
                .and_then(|v| v.parse::<f64>().ok())
        {
            peak_kb = peak_kb.max(kb);
        }
        if let Some(status) = child.try_wait().expect("wait for iarss lint") {
            break status;
        }
        std::thread::sleep(Duration::from_millis(1));
    };
    assert!(
        matches!(status.code(), Some(0 | 1)),
        "iarss lint of {} failed: {status}",
        path.display()
    );
    assert!(peak_kb > 0.0, "no VmHWM read from {status_file}");
    peak_kb / 1024.0
}

fn main() {
    // As the `iarss` binary does (see src/main.rs): purge by reset, not decommit.
    // SAFETY: setting an allocator option is allowed at any time.
    unsafe { libmimalloc_sys::mi_option_set(5, 0) };
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    // BENCH_PROFILE=N: only the lint of the large feed (on BENCH_THREADS threads, default 1),
    // N times, for a profiler; each run's time on stderr.
    if let Some(runs) = std::env::var("BENCH_PROFILE")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        let threads = std::env::var("BENCH_THREADS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(1);
        let large = feed("large", &FeedSpec::large());
        for _ in 0..runs {
            let t = Instant::now();
            std::hint::black_box(lint(&large, threads));
            eprintln!("{:.1} ms", t.elapsed().as_secs_f64() * 1e3);
        }
        return;
    }
    // BENCH_PAIRS=N: only N alternating pairs of the large feed's 1-core and all-core lint,
    // each pair printed, to see the spread behind the scaling's median.
    if let Some(pairs) = std::env::var("BENCH_PAIRS")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
    {
        let large = feed("large", &FeedSpec::large());
        lint(&large, cores);
        let mut scalings = Vec::new();
        for round in 0..pairs {
            let (a, b) = timed_pair(round % 2 == 0, || lint(&large, 1), || lint(&large, cores));
            let scaling = a.0.as_secs_f64() / b.0.as_secs_f64();
            println!(
                "1 core {:6.1} ms  {cores} cores {:6.1} ms  scaling {scaling:.2}x",
                a.0.as_secs_f64() * 1e3,
                b.0.as_secs_f64() * 1e3
            );
            scalings.push(scaling);
        }
        println!(
            "median {:.2}x ({})",
            median(&mut scalings.clone()),
            spread(&mut scalings)
        );
        return;
    }
    println!("iarss lint benchmark ({cores} cores)\n");
    let medium = feed("medium", &FeedSpec::medium());
    let large = feed("large", &FeedSpec::large());
    let peak = peak_rss_mb(&large);
    let copies = Copies::new(cores);
    println!(
        "{:<8} {:>8} {:>22} {:>22} {:>22} {:>7} {:>8} {:>8}",
        "feed",
        "MB",
        "plain pipeline",
        "iarss, 1 core",
        &format!("iarss, {cores} cores"),
        "ratio",
        "scaling",
        "ceiling"
    );
    for (name, path) in [("medium", &medium), ("large", &large)] {
        let size = mb(path);
        // Seven rounds; in each, the plain pipeline and the 1-core lint run back to back, then
        // the 1-core and the 2-core lint, each pair in the other order every other round, so
        // that a noisy neighbour or a warming CPU weighs on both sides of a pair alike. The
        // ratios are taken per pair and their median is printed.
        let (mut plain, mut one, mut all) = (Vec::new(), Vec::new(), Vec::new());
        let (mut ratios, mut scalings, mut ceilings) = (Vec::new(), Vec::new(), Vec::new());
        let mut n_one = 0;
        // One untimed run of each warms the page cache and the allocator.
        let n_plain = plain_pipeline(path);
        lint(path, cores);
        copies.run(path);
        for round in 0..ROUNDS {
            let first = round % 2 == 0;
            let (p, l) = timed_pair(first, || plain_pipeline(path), || lint(path, 1));
            assert_eq!(
                p.1, n_plain,
                "the plain pipeline saw another number of articles"
            );
            assert_eq!(l.1, n_plain, "the lint saw another number of articles");
            n_one = l.1;
            ratios.push(p.0.as_secs_f64() / l.0.as_secs_f64());
            let (a, b) = timed_pair(first, || lint(path, 1), || lint(path, cores));
            assert_eq!(
                b.1, n_plain,
                "the {cores}-core lint saw another number of articles"
            );
            scalings.push(a.0.as_secs_f64() / b.0.as_secs_f64());
            // The ceiling of this round: `cores` independent 1-core lints at once, against
            // the 1-core lint of the pair.
            let t = Instant::now();
            let seen = copies.run(path);
            let together = t.elapsed().as_secs_f64();
            assert!(
                seen.iter().all(|n| *n == n_plain),
                "a copy saw another number of articles"
            );
            ceilings.push(cores as f64 * a.0.as_secs_f64() / together);
            plain.push(p.0.as_secs_f64());
            one.push(l.0.as_secs_f64());
            one.push(a.0.as_secs_f64());
            all.push(b.0.as_secs_f64());
        }
        let rate = |secs: f64| {
            format!(
                "{:>6.1} MB/s {:>6.0} art/s",
                size / secs,
                n_one as f64 / secs
            )
        };
        println!(
            "{:<8} {:>8.1} {:>22} {:>22} {:>22} {:>6.2}x {:>7.2}x {:>7.2}x   ratios {} scalings {} ceilings {}",
            name,
            size,
            rate(median(&mut plain)),
            rate(median(&mut one)),
            rate(median(&mut all)),
            median(&mut ratios.clone()),
            median(&mut scalings.clone()),
            median(&mut ceilings.clone()),
            spread(&mut ratios),
            spread(&mut scalings),
            spread(&mut ceilings),
        );
    }
    println!(
        "\nthroughputs are medians of the {ROUNDS} rounds; ratio and scaling are medians of {ROUNDS} pairs (min-max after)"
    );
    println!("ratio = plain pipeline time / iarss 1-core time (target >= 1.5x)");
    println!("scaling = iarss 1-core time / iarss {cores}-core time (target >= 1.85x)");
    println!(
        "ceiling = {cores} x iarss 1-core time / time of {cores} independent 1-core lints at once: what this machine gave {cores} cores in the same rounds"
    );
    println!("peak memory, `iarss lint` of the large feed: {peak:.1} MB (target < 80 MB)");

    println!("\npathological inputs (target: each decided in < 2 s)");
    let shapes = [
        ("huge", FeedSpec::huge()),
        ("deep", FeedSpec::deep()),
        ("deepxml", FeedSpec::deepxml()),
        ("tiny", FeedSpec::tiny()),
    ];
    for (name, spec) in shapes {
        let path = feed(name, &spec);
        let t = Instant::now();
        let n = lint(&path, 1);
        println!(
            "{:<8} {:>7.1} MB  {:>6} article(s)  decided in {:.3} s",
            name,
            mb(&path),
            n,
            t.elapsed().as_secs_f64()
        );
    }
}
