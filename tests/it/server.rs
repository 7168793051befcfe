//! The HTTP server protects itself (publishing.md, "Many at once"), through the binary:
//! `iarss serve` on 127.0.0.1 with its open-file limit set, flooded with idle, silent, slow
//! and unauthenticated clients, as an attacker or a broken proxy would.

use crate::kit;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::os::unix::process::CommandExt;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

/// A running `iarss serve` over a fresh SQLite store with one operator and a token.
struct Served {
    child: Child,
    addr: SocketAddr,
    token: String,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `iarss` with a clean environment over `db`.
fn clean(db: &str) -> std::process::Command {
    let mut cmd = kit::iarss();
    for (k, _) in std::env::vars() {
        if k.starts_with("IARSS_") {
            cmd.env_remove(k);
        }
    }
    cmd.arg("--db").arg(db);
    cmd
}

/// Starts `iarss serve` with `env`, its open-file limit at `open_files` (soft and hard).
fn serve(test: &str, open_files: u64, env: &[(&str, &str)]) -> Served {
    let dir = kit::scratch(&format!("server-{test}"));
    let db = format!("sqlite://{}", dir.join("iarss.db").display());
    let mut add = clean(&db)
        .args([
            "users",
            "add",
            "op@example.com",
            "--operator",
            "--password-stdin",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    writeln!(add.stdin.take().unwrap(), "correct horse battery").unwrap();
    assert!(add.wait().unwrap().success());
    let out = clean(&db)
        .args(["tokens", "create", "--user", "op@example.com"])
        .output()
        .unwrap();
    let token = String::from_utf8_lossy(&out.stdout)
        .lines()
        .find(|l| l.starts_with("iarss_"))
        .expect("a token")
        .to_string();
    let addr = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .unwrap();
    let mut cmd = clean(&db);
    cmd.args(["serve", "--listen", &addr.to_string()])
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(dir.join("serve.log")).unwrap())
        .stderr(std::fs::File::create(dir.join("serve.err")).unwrap());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let limit = libc::rlimit {
        rlim_cur: open_files,
        rlim_max: open_files,
    };
    // SAFETY: setrlimit is async-signal-safe and only reads `limit`.
    unsafe {
        cmd.pre_exec(move || {
            if libc::setrlimit(libc::RLIMIT_NOFILE, &limit) == 0 {
                Ok(())
            } else {
                Err(std::io::Error::last_os_error())
            }
        });
    }
    let child = cmd.spawn().unwrap();
    let served = Served { child, addr, token };
    let deadline = Instant::now() + Duration::from_secs(20);
    while get(&served, "/healthz").is_none() {
        assert!(Instant::now() < deadline, "iarss serve did not start");
        std::thread::sleep(Duration::from_millis(100));
    }
    served
}

/// The status of `GET path` on a new connection, if an answer came within 2 s.
fn get(served: &Served, path: &str) -> Option<u16> {
    let mut s = TcpStream::connect_timeout(&served.addr, Duration::from_secs(2)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
        served.addr
    )
    .ok()?;
    let mut answer = String::new();
    s.read_to_string(&mut answer).ok()?;
    answer.split(' ').nth(1)?.parse().ok()
}

/// Raises this process's open-file limit so that it can hold the connections it opens.
fn raise_own_limit() {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit/setrlimit only read and write `limit`.
    unsafe {
        libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit);
        limit.rlim_cur = limit.rlim_max;
        libc::setrlimit(libc::RLIMIT_NOFILE, &limit);
    }
}

/// Whether the server closed `stream` (EOF or reset) within `within`.
fn closed_within(stream: &mut TcpStream, within: Duration) -> bool {
    let _ = stream.set_read_timeout(Some(within));
    let mut byte = [0u8; 512];
    loop {
        match stream.read(&mut byte) {
            Ok(0) => return true,
            // An answer (a 408, say) before the close: read on.
            Ok(_) => continue,
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                return false;
            }
            Err(_) => return true,
        }
    }
}

/// The server's resident memory, in MiB.
fn rss_mib(served: &Served) -> u64 {
    let status =
        std::fs::read_to_string(format!("/proc/{}/status", served.child.id())).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kb| kb / 1024)
}

/// With the open-file limit at 1,024, 1,100 idle connections leave `/healthz` answering
/// within 2 s (the connection idle longest makes room), and the server closes every one of
/// them within 40 s (no request arrived within the header timeout).
#[test]
fn idle_connections_never_lock_out_new_clients() {
    raise_own_limit();
    let served = serve("idle", 1024, &[]);
    let opened = Instant::now();
    let mut idle: Vec<TcpStream> = Vec::new();
    for _ in 0..1100 {
        match TcpStream::connect_timeout(&served.addr, Duration::from_secs(2)) {
            Ok(s) => idle.push(s),
            Err(e) => panic!("connection {} refused: {e}", idle.len()),
        }
    }
    for _ in 0..5 {
        let asked = Instant::now();
        assert_eq!(
            get(&served, "/healthz"),
            Some(200),
            "healthz under the flood"
        );
        assert!(asked.elapsed() < Duration::from_secs(2));
    }
    let mut open = 0;
    for s in &mut idle {
        let left = Duration::from_secs(40).saturating_sub(opened.elapsed());
        if !closed_within(s, left.max(Duration::from_millis(1))) {
            open += 1;
        }
    }
    assert_eq!(open, 0, "connections the server left open after 40 s");
    assert_eq!(get(&served, "/healthz"), Some(200));
}

/// Headers that do not arrive in time, a keep-alive connection left idle, and a body
/// trickled slower than the body timeout are all cut off; a connection in use is not.
#[test]
fn slow_clients_are_cut_off() {
    let served = serve(
        "slow",
        4096,
        &[
            ("IARSS_WEB_HEADER_TIMEOUT", "1s"),
            ("IARSS_WEB_BODY_TIMEOUT", "2s"),
            ("IARSS_WEB_IDLE_TIMEOUT", "3s"),
        ],
    );
    // Half a request line, then nothing.
    let mut partial = TcpStream::connect(served.addr).unwrap();
    partial.write_all(b"GET /healthz HT").unwrap();
    let started = Instant::now();
    assert!(closed_within(&mut partial, Duration::from_secs(4)));
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "not before the timeout"
    );

    // A keep-alive connection: open past the header timeout, closed after the idle one.
    let mut kept = TcpStream::connect(served.addr).unwrap();
    write!(kept, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
    let mut buf = [0u8; 256];
    let n = kept.read(&mut buf).unwrap();
    assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 200"));
    let served_at = Instant::now();
    assert!(
        !closed_within(&mut kept, Duration::from_millis(2000)),
        "kept alive past 1 s"
    );
    write!(kept, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
    let n = kept.read(&mut buf).unwrap();
    assert!(
        String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 200"),
        "reused"
    );
    let idle_from = Instant::now();
    assert!(closed_within(&mut kept, Duration::from_secs(6)));
    assert!(
        idle_from.elapsed() >= Duration::from_millis(2800),
        "{:?}",
        served_at.elapsed()
    );

    // An authenticated body trickled a byte a second: refused when the body timeout ends.
    let mut slow = TcpStream::connect(served.addr).unwrap();
    write!(
        slow,
        "POST /api/v1/lint HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\n\
         Content-Type: text/html\r\nContent-Length: 1000\r\n\r\n",
        served.token
    )
    .unwrap();
    let started = Instant::now();
    slow.set_read_timeout(Some(Duration::from_millis(1000)))
        .unwrap();
    let mut answer = Vec::new();
    while started.elapsed() < Duration::from_secs(8) {
        if slow.write_all(b"<").is_err() {
            break;
        }
        let mut chunk = [0u8; 1024];
        match slow.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => {
                answer.extend_from_slice(&chunk[..n]);
                break;
            }
            Err(_) => {}
        }
    }
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
}

/// At `web.max_connections`, the connection idle longest is closed to admit a new one.
#[test]
fn at_the_cap_the_connection_idle_longest_makes_room() {
    let served = serve("cap", 4096, &[("IARSS_WEB_MAX_CONNECTIONS", "20")]);
    let mut first = TcpStream::connect(served.addr).unwrap();
    std::thread::sleep(Duration::from_millis(50));
    let mut rest: Vec<TcpStream> = (0..19)
        .map(|_| TcpStream::connect(served.addr).unwrap())
        .collect();
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(get(&served, "/healthz"), Some(200));
    assert!(
        closed_within(&mut first, Duration::from_secs(2)),
        "the oldest idle connection made room"
    );
    assert!(!closed_within(&mut rest[18], Duration::from_millis(200)));
}

/// Unauthenticated bodies are answered 401 before they are read, so 48 clients sending
/// 16 MiB each at once leave the server's memory where it was; `/login` reads 16 KiB at
/// most.
#[test]
fn unauthenticated_bodies_are_never_held() {
    let served = serve("bodies", 4096, &[]);
    let before = rss_mib(&served);
    let body = vec![b'x'; 16 * 1024 * 1024];
    let peak = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(before));
    let statuses: Vec<String> = std::thread::scope(|scope| {
        let watcher = {
            let peak = std::sync::Arc::clone(&peak);
            let served = &served;
            scope.spawn(move || {
                for _ in 0..100 {
                    peak.fetch_max(rss_mib(served), std::sync::atomic::Ordering::Relaxed);
                    std::thread::sleep(Duration::from_millis(50));
                }
            })
        };
        let senders: Vec<_> = (0..48)
            .map(|i| {
                let body = &body;
                let addr = served.addr;
                scope.spawn(move || {
                    let mut s = TcpStream::connect(addr).unwrap();
                    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
                    let path = if i % 2 == 0 {
                        "/api/v1/pages/news/articles"
                    } else {
                        "/api/v1/lint"
                    };
                    let _ = write!(
                        s,
                        "POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
                         Content-Length: {}\r\n\r\n",
                        body.len()
                    );
                    // The server answers and closes while this is still sending.
                    let _ = s.write_all(body);
                    let mut answer = String::new();
                    let _ = s.read_to_string(&mut answer);
                    answer.lines().next().unwrap_or_default().to_string()
                })
            })
            .collect();
        let statuses = senders.into_iter().map(|h| h.join().unwrap()).collect();
        watcher.join().unwrap();
        statuses
    });
    let peak = peak.load(std::sync::atomic::Ordering::Relaxed);
    eprintln!(
        "48 unauthenticated 16 MiB bodies: server memory {before} MiB before, {peak} MiB at the peak"
    );
    let answered = statuses.iter().filter(|s| s.contains(" 401 ")).count();
    assert!(answered >= 40, "{statuses:?}");
    assert!(
        peak < before + 100 && peak < 300,
        "memory went from {before} MiB to {peak} MiB"
    );

    // The login form takes 16 KiB at most.
    let mut s = TcpStream::connect(served.addr).unwrap();
    let form = format!("email=a%40b.c&password={}", "x".repeat(64 * 1024));
    write!(
        s,
        "POST /login HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{form}",
        form.len()
    )
    .unwrap();
    let mut answer = String::new();
    let _ = s.read_to_string(&mut answer);
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
}

/// 40 wrong passwords for one account sent at once, each claiming another address in
/// `X-Forwarded-For` (no proxy is trusted by default, so all come from one address): at
/// most 5 of them get a password check, the rest are refused without one.
#[test]
fn a_burst_of_guesses_gets_five_checks() {
    let served = serve("burst", 4096, &[]);
    let statuses: Vec<u16> = std::thread::scope(|scope| {
        let guesses: Vec<_> = (0..40)
            .map(|i| {
                let addr = served.addr;
                scope.spawn(move || {
                    let form = "email=op%40example.com&password=wrong+password";
                    let mut s = TcpStream::connect(addr).unwrap();
                    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
                    write!(
                        s,
                        "POST /login HTTP/1.1\r\nHost: {addr}\r\nOrigin: http://{addr}\r\n\
                         X-Forwarded-For: 198.51.100.{i}\r\n\
                         Content-Type: application/x-www-form-urlencoded\r\n\
                         Content-Length: {}\r\nConnection: close\r\n\r\n{form}",
                        form.len()
                    )
                    .unwrap();
                    let mut answer = String::new();
                    let _ = s.read_to_string(&mut answer);
                    answer
                        .split(' ')
                        .nth(1)
                        .and_then(|c| c.parse().ok())
                        .unwrap_or(0)
                })
            })
            .collect();
        guesses.into_iter().map(|g| g.join().unwrap()).collect()
    });
    let checked = statuses.iter().filter(|s| **s == 401).count();
    let refused = statuses.iter().filter(|s| **s == 429).count();
    assert!(checked <= 5, "{checked} password checks: {statuses:?}");
    assert_eq!(checked + refused, 40, "{statuses:?}");
}
