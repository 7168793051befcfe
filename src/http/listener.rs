//! The HTTP listener: hyper's HTTP/1 connections under the limits that keep a flood of
//! slow, idle or silent clients from starving everyone else (publishing.md, "The HTTP server
//! protects itself"):
//!
//! - a request's headers must arrive within [`ServerLimits::header_timeout`] of its first
//!   byte (of the connection's opening, for its first request);
//! - its body within [`ServerLimits::body_timeout`] of its headers ([`DeadlineBody`]);
//! - a keep-alive connection with no request for [`ServerLimits::idle_timeout`] is closed;
//! - at most [`ServerLimits::max_connections`] are open: at the cap, the connection idle
//!   longest (no request in progress) is closed to admit the new one, as nginx reuses idle
//!   keep-alive connections, so idle or silent connections cannot lock new clients out.
//!
//! One task per connection serves it; one reaper task closes the connections past their
//! deadlines once a second.

use std::collections::HashMap;
use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::Request;
use hyper::body::{Frame, Incoming};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, watch};
use tracing::{debug, info, warn};

/// What one server tolerates of its clients.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerLimits {
    /// A request's headers must arrive within this long.
    pub header_timeout: Duration,
    /// A request's body must arrive within this long of its headers.
    pub body_timeout: Duration,
    /// A keep-alive connection with no request for this long is closed.
    pub idle_timeout: Duration,
    /// Connections open at once.
    pub max_connections: usize,
    /// How long open requests may finish at shutdown.
    pub shutdown_grace: Duration,
}

impl Default for ServerLimits {
    fn default() -> Self {
        ServerLimits {
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(30),
            idle_timeout: Duration::from_secs(60),
            max_connections: 1024,
            shutdown_grace: Duration::from_secs(5),
        }
    }
}

/// Files this process keeps open besides its HTTP connections: its store's connections, its
/// fetches (each a socket, some kept alive for reuse), logs, the listener, and a margin.
pub fn reserved_files(store_connections: usize, fetch_concurrency: usize) -> u64 {
    (store_connections + 2 * fetch_concurrency + 64) as u64
}

/// The open-file limit, after raising the soft limit to the hard one (as a server should:
/// the soft default of 1,024 is for interactive shells).
pub fn raise_open_file_limit() -> Option<u64> {
    #[cfg(unix)]
    {
        let mut limit = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: getrlimit/setrlimit only read and write the struct passed.
        if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } != 0 {
            return None;
        }
        if limit.rlim_cur < limit.rlim_max {
            let raised = libc::rlimit {
                rlim_cur: limit.rlim_max,
                rlim_max: limit.rlim_max,
            };
            // SAFETY: as above.
            if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &raised) } == 0 {
                limit.rlim_cur = limit.rlim_max;
            }
        }
        Some(limit.rlim_cur)
    }
    #[cfg(not(unix))]
    {
        None
    }
}

/// `web.max_connections`: the configured number (`0`: as many as the open-file limit allows
/// beside `reserved` files), never more than the limit allows; at least 16.
pub fn max_connections(configured: u64, open_files: Option<u64>, reserved: u64) -> usize {
    let allowed = open_files.map(|n| n.saturating_sub(reserved));
    let chosen = match (configured, allowed) {
        (0, Some(allowed)) => allowed,
        (0, None) => 1024,
        (n, Some(allowed)) if n > allowed => {
            warn!(
                configured = n,
                allowed,
                "web.max_connections is more than the open-file limit allows; using the limit"
            );
            allowed
        }
        (n, _) => n,
    };
    chosen.clamp(16, 1 << 20) as usize
}

/// Milliseconds since the server started (monotonic).
#[derive(Clone, Copy, Debug)]
struct Clock(Instant);

impl Clock {
    fn now(&self) -> i64 {
        self.0.elapsed().as_millis() as i64
    }
}

/// What the server knows of one connection.
#[derive(Debug)]
struct Tracked {
    /// Requests in progress: headers read, answer not yet written out.
    active: AtomicU32,
    /// When it last became idle (opened, or an answer written out).
    idle_since: AtomicI64,
    /// When the first byte of the next request arrived while idle (0: none yet).
    first_byte: AtomicI64,
    /// Whether a request was served on it (a keep-alive connection).
    served: AtomicBool,
    /// Told to close.
    close: Notify,
    closing: AtomicBool,
}

impl Tracked {
    fn new(now: i64) -> Tracked {
        Tracked {
            active: AtomicU32::new(0),
            idle_since: AtomicI64::new(now),
            first_byte: AtomicI64::new(0),
            served: AtomicBool::new(false),
            close: Notify::new(),
            closing: AtomicBool::new(false),
        }
    }

    fn is_idle(&self) -> bool {
        self.active.load(Ordering::Acquire) == 0
    }

    fn close(&self) {
        if !self.closing.swap(true, Ordering::AcqRel) {
            self.close.notify_one();
        }
    }

    /// Whether it is past a deadline at `now`.
    fn overdue(&self, now: i64, limits: &ServerLimits) -> Option<&'static str> {
        if !self.is_idle() {
            return None;
        }
        let first_byte = self.first_byte.load(Ordering::Acquire);
        let header_ms = limits.header_timeout.as_millis() as i64;
        if first_byte != 0 {
            return (now - first_byte > header_ms)
                .then_some("request headers not received in time");
        }
        let idle = now - self.idle_since.load(Ordering::Acquire);
        if !self.served.load(Ordering::Acquire) {
            (idle > header_ms).then_some("no request sent in time")
        } else {
            (idle > limits.idle_timeout.as_millis() as i64).then_some("idle keep-alive")
        }
    }
}

/// Every open connection.
#[derive(Debug, Default)]
struct Registry {
    next_id: AtomicI64,
    open: Mutex<HashMap<i64, Arc<Tracked>>>,
}

impl Registry {
    fn len(&self) -> usize {
        self.open.lock().map(|o| o.len()).unwrap_or_default()
    }

    fn insert(&self, tracked: Arc<Tracked>) -> i64 {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        if let Ok(mut open) = self.open.lock() {
            open.insert(id, tracked);
        }
        id
    }

    fn remove(&self, id: i64) {
        if let Ok(mut open) = self.open.lock() {
            open.remove(&id);
        }
    }

    /// Closes the connection idle longest (no request in progress); `false` when every
    /// connection has a request in progress.
    fn close_idle_longest(&self) -> bool {
        let Ok(open) = self.open.lock() else {
            return false;
        };
        let longest = open
            .values()
            .filter(|t| t.is_idle() && !t.closing.load(Ordering::Acquire))
            .min_by_key(|t| {
                // A connection whose next request has started arriving is not idle for
                // this purpose unless nothing else is.
                let first_byte = t.first_byte.load(Ordering::Acquire);
                (first_byte != 0, t.idle_since.load(Ordering::Acquire))
            });
        match longest {
            Some(t) => {
                t.close();
                true
            }
            None => false,
        }
    }

    fn close_overdue(&self, now: i64, limits: &ServerLimits) -> usize {
        let Ok(open) = self.open.lock() else {
            return 0;
        };
        let mut closed = 0;
        for t in open.values() {
            if let Some(why) = t.overdue(now, limits)
                && !t.closing.load(Ordering::Acquire)
            {
                debug!(reason = why, "closing a connection");
                t.close();
                closed += 1;
            }
        }
        closed
    }

    fn close_all_idle(&self) {
        if let Ok(open) = self.open.lock() {
            for t in open.values().filter(|t| t.is_idle()) {
                t.close();
            }
        }
    }
}

/// A TCP stream that notes when a request's first byte arrives on an idle connection.
struct WatchedStream {
    inner: TcpStream,
    tracked: Arc<Tracked>,
    clock: Clock,
}

impl AsyncRead for WatchedStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        if matches!(polled, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            let t = &self.tracked;
            if t.is_idle() && t.first_byte.load(Ordering::Acquire) == 0 {
                t.first_byte
                    .store(self.clock.now().max(1), Ordering::Release);
            }
        }
        polled
    }
}

impl AsyncWrite for WatchedStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

/// A request in progress on a connection; the connection is idle again when it is dropped
/// (with the answer's body, once written out).
struct Active {
    tracked: Arc<Tracked>,
    clock: Clock,
}

impl Active {
    fn begin(tracked: &Arc<Tracked>, clock: Clock) -> Active {
        tracked.active.fetch_add(1, Ordering::AcqRel);
        tracked.first_byte.store(0, Ordering::Release);
        tracked.served.store(true, Ordering::Release);
        Active {
            tracked: Arc::clone(tracked),
            clock,
        }
    }
}

impl Drop for Active {
    fn drop(&mut self) {
        self.tracked
            .idle_since
            .store(self.clock.now(), Ordering::Release);
        self.tracked.active.fetch_sub(1, Ordering::AcqRel);
    }
}

/// An answer's body that keeps its request [`Active`] until it is written out.
struct TrackedBody {
    inner: Body,
    _active: Active,
}

impl hyper::body::Body for TrackedBody {
    type Data = axum::body::Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        Pin::new(&mut self.inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> hyper::body::SizeHint {
        self.inner.size_hint()
    }
}

/// A request body that must arrive whole by a deadline: past it, reading fails (and the
/// handler answers as for any unreadable body), so a client that trickles its body cannot
/// hold a request open.
pub struct DeadlineBody {
    inner: Incoming,
    deadline: Pin<Box<tokio::time::Sleep>>,
    within: Duration,
}

impl DeadlineBody {
    /// `inner`, to be read within `within` from now.
    pub fn new(inner: Incoming, within: Duration) -> DeadlineBody {
        DeadlineBody {
            inner,
            deadline: Box::pin(tokio::time::sleep(within)),
            within,
        }
    }
}

/// The body did not arrive in time.
#[derive(Debug, thiserror::Error)]
#[error("the request body did not arrive within {0:?}")]
pub struct BodyTimedOut(Duration);

impl hyper::body::Body for DeadlineBody {
    type Data = axum::body::Bytes;
    type Error = axum::BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        match Pin::new(&mut self.inner).poll_frame(cx) {
            Poll::Ready(frame) => Poll::Ready(frame.map(|f| f.map_err(Into::into))),
            Poll::Pending => match self.deadline.as_mut().poll(cx) {
                Poll::Ready(()) => Poll::Ready(Some(Err(Box::new(BodyTimedOut(self.within))))),
                Poll::Pending => Poll::Pending,
            },
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> hyper::body::SizeHint {
        self.inner.size_hint()
    }
}

/// Serves `app` on `listener` under `limits` until `shutdown` turns true; then closes idle
/// connections at once and lets requests in progress finish within the grace period.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: ServerLimits,
    mut shutdown: watch::Receiver<bool>,
) {
    let clock = Clock(Instant::now());
    let registry = Arc::new(Registry::default());
    let limits = Arc::new(limits);
    let (stop_conns, _) = watch::channel(false);
    let stop_conns = Arc::new(stop_conns);
    let reaper = {
        let registry = Arc::clone(&registry);
        let limits = Arc::clone(&limits);
        let mut stop = shutdown.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_millis(500));
            loop {
                tokio::select! {
                    _ = tick.tick() => {}
                    _ = stop.wait_for(|s| *s) => break,
                }
                let closed = registry.close_overdue(clock.now(), &limits);
                if closed > 0 {
                    metrics::counter!("iarss_http_connections_closed_total", "reason" => "timeout")
                        .increment(closed as u64);
                }
                metrics::gauge!("iarss_http_connections_open").set(registry.len() as f64);
            }
        })
    };
    info!(
        max_connections = limits.max_connections,
        "accepting HTTP connections"
    );
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = shutdown.wait_for(|s| *s) => break,
        };
        let (stream, peer) = match accepted {
            Ok(a) => a,
            Err(e) => {
                // Out of file descriptors (EMFILE, ENFILE) or a connection reset before
                // it was accepted: make room if it is the former, and go on.
                if matches!(e.raw_os_error(), Some(libc::EMFILE) | Some(libc::ENFILE)) {
                    registry.close_idle_longest();
                    metrics::counter!("iarss_http_accept_errors_total").increment(1);
                }
                debug!(error = %e, "accepting a connection failed");
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            }
        };
        if registry.len() >= limits.max_connections {
            if registry.close_idle_longest() {
                metrics::counter!("iarss_http_connections_closed_total", "reason" => "evicted")
                    .increment(1);
            } else {
                // Every connection has a request in progress: this one waits its turn by
                // being refused now (it may connect again).
                metrics::counter!("iarss_http_connections_refused_total").increment(1);
                drop(stream);
                continue;
            }
        }
        let _ = stream.set_nodelay(true);
        let tracked = Arc::new(Tracked::new(clock.now()));
        let id = registry.insert(Arc::clone(&tracked));
        let app = app.clone();
        let registry = Arc::clone(&registry);
        let limits = Arc::clone(&limits);
        let stop = stop_conns.subscribe();
        tokio::spawn(async move {
            serve_connection(stream, peer, app, &tracked, clock, &limits, stop).await;
            registry.remove(id);
        });
    }
    // Shutdown: idle connections go now; connections in a request finish it (hyper closes
    // them after their answer).
    let _ = stop_conns.send(true);
    registry.close_all_idle();
    let deadline = Instant::now() + limits.shutdown_grace;
    while registry.len() > 0 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    reaper.abort();
}

async fn serve_connection(
    stream: TcpStream,
    peer: SocketAddr,
    app: Router,
    tracked: &Arc<Tracked>,
    clock: Clock,
    limits: &ServerLimits,
    mut stop: watch::Receiver<bool>,
) {
    let io = hyper_util::rt::TokioIo::new(WatchedStream {
        inner: stream,
        tracked: Arc::clone(tracked),
        clock,
    });
    let body_timeout = limits.body_timeout;
    let for_service = Arc::clone(tracked);
    let service = hyper::service::service_fn(move |request: Request<Incoming>| {
        let active = Active::begin(&for_service, clock);
        let mut app = app.clone();
        async move {
            let mut request = request.map(|b| Body::new(DeadlineBody::new(b, body_timeout)));
            request.extensions_mut().insert(ConnectInfo(peer));
            let response = match tower_service::Service::call(&mut app, request).await {
                Ok(r) => r,
                Err(never) => match never {},
            };
            Ok::<_, Infallible>(response.map(|inner| TrackedBody {
                inner,
                _active: active,
            }))
        }
    });
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder.keep_alive(true).max_buf_size(64 * 1024);
    let connection = builder.serve_connection(io, service);
    tokio::pin!(connection);
    let stopping = tokio::select! {
        result = connection.as_mut() => {
            if let Err(e) = result {
                debug!(error = %e, "connection ended with an error");
            }
            false
        }
        // Past a deadline, or evicted: no request is in progress, so it just goes.
        () = tracked.close.notified() => false,
        stopped = stop.wait_for(|s| *s) => stopped.is_ok(),
    };
    if stopping {
        connection.as_mut().graceful_shutdown();
        let finish = tokio::time::timeout(limits.shutdown_grace, connection.as_mut());
        tokio::select! {
            _ = finish => {}
            () = tracked.close.notified() => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cap_follows_the_open_file_limit() {
        assert_eq!(max_connections(0, Some(1024), 200), 824);
        assert_eq!(max_connections(5000, Some(1024), 200), 824);
        assert_eq!(max_connections(100, Some(1024), 200), 100);
        assert_eq!(max_connections(0, None, 200), 1024);
        assert_eq!(max_connections(0, Some(100), 200), 16);
    }

    #[test]
    fn deadlines_of_idle_connections() {
        let limits = ServerLimits::default();
        let fresh = Tracked::new(0);
        assert_eq!(fresh.overdue(9_000, &limits), None);
        assert!(fresh.overdue(10_001, &limits).is_some(), "silent");
        let kept = Tracked::new(0);
        kept.served.store(true, Ordering::Release);
        assert_eq!(kept.overdue(59_000, &limits), None);
        assert!(kept.overdue(60_001, &limits).is_some(), "idle keep-alive");
        kept.first_byte.store(50_000, Ordering::Release);
        assert!(kept.overdue(60_001, &limits).is_some(), "slow headers");
        kept.active.store(1, Ordering::Release);
        assert_eq!(kept.overdue(1_000_000, &limits), None, "in a request");
    }
}
