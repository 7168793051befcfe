//! `BENCH_WEBHOOKS=1`: every page has a webhook, and every changed feed carries one newly
//! rejected item (a new guid each version, no `op-published`), so that each changed fetch
//! makes one `item.rejected` event to deliver. The receiver answers 200 at once and counts
//! what it was sent; the report gives the delivery throughput, and the queue's depth and
//! oldest pending age as the daemons' metrics had them.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

/// Whether this run puts webhooks on every page.
pub static ENABLED: AtomicBool = AtomicBool::new(false);

/// The newly rejected item a changed feed carries when webhooks are on.
pub fn rejected_item(page: usize, version: u64) -> String {
    if !ENABLED.load(Ordering::Relaxed) {
        return String::new();
    }
    format!(
        "<item><title>Draft {version}</title><link>https://p{page}.example.com/r/{version}</link>\
         <guid>p{page}-r{version}</guid><content:encoded><![CDATA[<!doctype html><html><head>\
         <meta charset=\"utf-8\"><link rel=\"canonical\" href=\"https://p{page}.example.com/r/{version}\">\
         </head><body><article><header><h1>Draft {version}</h1></header><p>No time.</p>\
         </article></body></html>]]></content:encoded></item>"
    )
}

/// A webhook receiver on 127.0.0.1: answers every POST 200, keeps connections alive.
pub struct Receiver {
    /// Its URL.
    pub url: String,
    /// Deliveries received.
    pub received: Arc<AtomicU64>,
}

impl Receiver {
    /// Starts it; its threads end with the process.
    pub fn start() -> Receiver {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the receiver");
        let url = format!(
            "http://127.0.0.1:{}/hook",
            listener.local_addr().expect("addr").port()
        );
        let received = Arc::new(AtomicU64::new(0));
        let counter = Arc::clone(&received);
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let counter = Arc::clone(&counter);
                std::thread::spawn(move || serve(stream, &counter));
            }
        });
        Receiver { url, received }
    }
}

/// Answers the requests of one connection until it closes.
fn serve(stream: TcpStream, received: &AtomicU64) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(120)));
    let Ok(mut writer) = stream.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(stream);
    loop {
        let mut length = 0usize;
        let mut line = String::new();
        // The request line, then headers up to the blank line.
        match reader.read_line(&mut line) {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        loop {
            line.clear();
            match reader.read_line(&mut line) {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
            let header = line.trim_end();
            if header.is_empty() {
                break;
            }
            if let Some((k, v)) = header.split_once(':')
                && k.eq_ignore_ascii_case("content-length")
            {
                length = v.trim().parse().unwrap_or(0);
            }
        }
        let mut body = vec![0u8; length];
        if std::io::Read::read_exact(&mut reader, &mut body).is_err() {
            return;
        }
        received.fetch_add(1, Ordering::Relaxed);
        if writer
            .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
            .is_err()
        {
            return;
        }
    }
}
