//! `BENCH_NETWORK=internet`: publishers that answer like the internet's. Pages are spread
//! over 5,000 host addresses in 127.0.0.0/8 (each its own listener, so the daemon's per-host
//! limit is in force as it would be), a fifth of them on five large shared hosts (a CMS
//! vendor, a CDN). Answers take a log-normal time (median 250 ms, p99 3 s). Of the other
//! hosts, 1 % hang until the download timeout, 1 % answer 503 (half with `Retry-After`),
//! 0.5 % reset the connection and 0.5 % trickle their feed over 20 s.

use std::io;
use std::net::Ipv4Addr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

use super::{Log, feed_body};

/// Host addresses.
pub const HOSTS: usize = 5000;
/// The large shared hosts (the first ones), which carry a fifth of the pages.
const SHARED: usize = 5;
/// Median and 99th percentile of an answer's time.
const MEDIAN_S: f64 = 0.25;
const P99_S: f64 = 3.0;

/// How a host answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HostKind {
    /// After a log-normal wait: a 304 or the feed.
    Healthy,
    /// Reads the request and never answers.
    Hangs,
    /// 503, with `Retry-After: 600` or without.
    Unavailable { retry_after: bool },
    /// Resets the connection.
    Resets,
    /// Sends its feed over 20 s.
    Trickles,
}

impl HostKind {
    /// Whether the host's pages ever run well.
    pub fn healthy(self) -> bool {
        self == HostKind::Healthy
    }
}

/// Which host serves a page, and how each host answers.
pub struct Network {
    port: u16,
    page_host: Vec<usize>,
    kinds: Vec<HostKind>,
}

impl Network {
    /// The host of each of `pages` pages.
    pub fn plan(pages: usize) -> Network {
        let page_host = (0..pages)
            .map(|p| {
                if p.is_multiple_of(5) {
                    (p / 5) % SHARED
                } else {
                    SHARED + p % (HOSTS - SHARED)
                }
            })
            .collect();
        let kinds = (0..HOSTS)
            .map(|h| {
                if h < SHARED {
                    return HostKind::Healthy;
                }
                // A fixed scatter of the failing hosts over the others.
                match (h * 7919) % 1000 {
                    0..10 => HostKind::Hangs,
                    10..20 => HostKind::Unavailable {
                        retry_after: h.is_multiple_of(2),
                    },
                    20..25 => HostKind::Resets,
                    25..30 => HostKind::Trickles,
                    _ => HostKind::Healthy,
                }
            })
            .collect();
        Network {
            port: 0,
            page_host,
            kinds,
        }
    }

    fn address(host: usize) -> Ipv4Addr {
        Ipv4Addr::new(127, 0, (host / 250 + 1) as u8, (host % 250 + 1) as u8)
    }

    /// How the page's host answers.
    pub fn kind(&self, page: usize) -> HostKind {
        self.kinds[self.page_host[page]]
    }

    /// The page's feed URL.
    pub fn feed_url(&self, page: usize) -> String {
        format!(
            "http://{}:{}/feed/{page}",
            Network::address(self.page_host[page]),
            self.port
        )
    }
}

/// What the simulator shares with the benchmark.
pub struct Served {
    pub quiet: Arc<AtomicBool>,
    pub not_modified: Arc<AtomicU64>,
    pub changed: Arc<AtomicU64>,
}

/// Starts every host's listener on one port (each on its own address) in `runtime`.
pub fn start(
    runtime: &tokio::runtime::Runtime,
    network: &mut Network,
    pages: usize,
    log: Log,
) -> Served {
    let served = Served {
        quiet: Arc::new(AtomicBool::new(false)),
        not_modified: Arc::new(AtomicU64::new(0)),
        changed: Arc::new(AtomicU64::new(0)),
    };
    let versions: Arc<Vec<AtomicU64>> = Arc::new((0..pages).map(|_| AtomicU64::new(0)).collect());
    let listeners = runtime.block_on(async {
        let first = TcpListener::bind((Network::address(0), 0))
            .await
            .expect("bind the first host");
        let port = first.local_addr().expect("addr").port();
        let mut all = vec![first];
        for h in 1..HOSTS {
            all.push(
                TcpListener::bind((Network::address(h), port))
                    .await
                    .unwrap_or_else(|e| panic!("bind host {h} on port {port}: {e}")),
            );
        }
        (port, all)
    });
    network.port = listeners.0;
    for (h, listener) in listeners.1.into_iter().enumerate() {
        let kind = network.kinds[h];
        let (log, versions) = (Arc::clone(&log), Arc::clone(&versions));
        let (quiet, not_modified, changed) = (
            Arc::clone(&served.quiet),
            Arc::clone(&served.not_modified),
            Arc::clone(&served.changed),
        );
        runtime.spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let conn = Connection {
                    kind,
                    pages,
                    log: Arc::clone(&log),
                    versions: Arc::clone(&versions),
                    quiet: Arc::clone(&quiet),
                    not_modified: Arc::clone(&not_modified),
                    changed: Arc::clone(&changed),
                };
                tokio::spawn(async move {
                    let _ = conn.serve(stream).await;
                });
            }
        });
    }
    served
}

struct Connection {
    kind: HostKind,
    pages: usize,
    log: Log,
    versions: Arc<Vec<AtomicU64>>,
    quiet: Arc<AtomicBool>,
    not_modified: Arc<AtomicU64>,
    changed: Arc<AtomicU64>,
}

/// A log-normal answer time: median 250 ms, p99 3 s.
fn latency(seed: u64) -> Duration {
    // xorshift64*, two draws for Box-Muller.
    let mut x = seed | 1;
    let mut next = || {
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        (x.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 / (1u64 << 53) as f64
    };
    let (u1, u2) = (next().max(1e-12), next());
    let z = (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos();
    let sigma = (P99_S / MEDIAN_S).ln() / 2.326;
    Duration::from_secs_f64((MEDIAN_S.ln() + sigma * z).exp().min(60.0))
}

impl Connection {
    async fn serve(self, stream: TcpStream) -> io::Result<()> {
        let (read, mut write) = stream.into_split();
        let mut reader = BufReader::new(read);
        let mut served = 0u64;
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line).await? == 0 {
                return Ok(());
            }
            let page: usize = line
                .split_whitespace()
                .nth(1)
                .and_then(|p| p.rsplit('/').next())
                .and_then(|n| n.parse().ok())
                .unwrap_or(0)
                .min(self.pages - 1);
            let mut if_none_match = None;
            loop {
                let mut h = String::new();
                if reader.read_line(&mut h).await? <= 2 {
                    break;
                }
                if let Some(v) = h.to_ascii_lowercase().strip_prefix("if-none-match:") {
                    if_none_match = Some(v.trim().to_string());
                }
            }
            let received = Instant::now();
            if let Ok(mut log) = self.log.lock() {
                log.entry(page).or_default().push(received);
            }
            served += 1;
            let seed = (page as u64) << 20
                ^ served
                ^ received.elapsed().as_nanos() as u64
                ^ std::process::id() as u64
                ^ std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| d.subsec_nanos() as u64);
            match self.kind {
                HostKind::Hangs => {
                    tokio::time::sleep(Duration::from_secs(120)).await;
                    return Ok(());
                }
                HostKind::Resets => {
                    let stream = reader
                        .into_inner()
                        .reunite(write)
                        .map_err(io::Error::other)?;
                    // A zero linger sends the reset at once: the drop never blocks.
                    #[allow(deprecated)]
                    stream.set_linger(Some(Duration::ZERO))?;
                    return Ok(());
                }
                HostKind::Unavailable { retry_after } => {
                    tokio::time::sleep(latency(seed)).await;
                    let wait = if retry_after {
                        "Retry-After: 600\r\n"
                    } else {
                        ""
                    };
                    write
                        .write_all(
                            format!(
                                "HTTP/1.1 503 Service Unavailable\r\n{wait}Content-Length: 0\r\n\r\n"
                            )
                            .as_bytes(),
                        )
                        .await?;
                }
                HostKind::Trickles => {
                    // No validators: the whole feed, slowly, every time.
                    self.changed.fetch_add(1, Ordering::Relaxed);
                    let body = feed_body(page, 0);
                    write
                        .write_all(
                            format!(
                                "HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\nContent-Length: {}\r\n\r\n",
                                body.len()
                            )
                            .as_bytes(),
                        )
                        .await?;
                    for chunk in body.as_bytes().chunks(body.len().div_ceil(20)) {
                        tokio::time::sleep(Duration::from_secs(1)).await;
                        write.write_all(chunk).await?;
                    }
                }
                HostKind::Healthy => {
                    tokio::time::sleep(latency(seed)).await;
                    // A tenth of the pages change on every fetch; the rest never change.
                    let changing = page.is_multiple_of(10) && !self.quiet.load(Ordering::Relaxed);
                    let version = if changing {
                        self.versions[page].fetch_add(1, Ordering::Relaxed) + 1
                    } else {
                        self.versions[page].load(Ordering::Relaxed)
                    };
                    let etag = format!("\"p{page}-v{version}\"");
                    if if_none_match.as_deref() == Some(etag.as_str()) {
                        self.not_modified.fetch_add(1, Ordering::Relaxed);
                        write
                            .write_all(
                                format!(
                                    "HTTP/1.1 304 Not Modified\r\nETag: {etag}\r\nContent-Length: 0\r\n\r\n"
                                )
                                .as_bytes(),
                            )
                            .await?;
                        continue;
                    }
                    self.changed.fetch_add(1, Ordering::Relaxed);
                    let body = feed_body(page, version);
                    write
                        .write_all(
                            format!(
                                "HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\nETag: {etag}\r\nContent-Length: {}\r\n\r\n{body}",
                                body.len()
                            )
                            .as_bytes(),
                        )
                        .await?;
                }
            }
        }
    }
}

/// On time, from the publishers' side: the share of gaps between two fetches of one page
/// no longer than an interval and 10 s, for the healthy pages (each gap that ends in the
/// window, from the fetch before it; a page not fetched in the window counts as one late
/// gap); and for the failing ones, how many fetches in the window and their median gap
/// (they back off).
pub fn report(
    log: &Log,
    network: &Network,
    from: Instant,
    to: Instant,
    interval: Duration,
) -> String {
    let log = log.lock().expect("log");
    let (mut healthy_gaps, mut healthy_late, mut healthy_unseen) = (0usize, 0usize, 0usize);
    let mut healthy_doubles = 0usize;
    let (mut failing_fetches, mut failing_gaps) = (0usize, Vec::new());
    for page in 0..network.page_host.len() {
        let all: &[Instant] = log.get(&page).map_or(&[], |t| t.as_slice());
        let times: Vec<Instant> = all
            .iter()
            .copied()
            .filter(|t| *t >= from && *t < to)
            .collect();
        if network.kind(page).healthy() {
            if times.is_empty() {
                // Not fetched at all in the window: as late as a page can be.
                healthy_unseen += 1;
                healthy_gaps += 1;
                healthy_late += 1;
            }
            for w in all.windows(2).filter(|w| w[1] >= from && w[1] < to) {
                healthy_gaps += 1;
                if w[1] - w[0] < interval / 2 {
                    healthy_doubles += 1;
                }
                if w[1] - w[0] > interval + Duration::from_secs(10) {
                    healthy_late += 1;
                }
            }
        } else {
            failing_fetches += times.len();
            failing_gaps.extend(times.windows(2).map(|w| (w[1] - w[0]).as_secs_f64()));
        }
    }
    failing_gaps.sort_by(f64::total_cmp);
    let median = failing_gaps
        .get(failing_gaps.len() / 2)
        .copied()
        .unwrap_or(0.0);
    format!(
        "healthy pages: {:.3} % of {healthy_gaps} gaps within interval + 10 s, {healthy_unseen} pages not fetched in the window, {healthy_doubles} double fetches; \
         failing pages: {failing_fetches} fetches, median gap {median:.0} s",
        if healthy_gaps > 0 {
            (healthy_gaps - healthy_late) as f64 / healthy_gaps as f64 * 100.0
        } else {
            0.0
        }
    )
}

/// The share of pages on hosts that fail, for the report.
pub fn failing_pages(network: &Network) -> usize {
    (0..network.page_host.len())
        .filter(|p| !network.kind(*p).healthy())
        .count()
}
