//! The command line as publishers' CI uses it: formats, exit codes, inputs from files,
//! standard input and HTTP, `rules` and `explain`.

use crate::kit;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::thread;

use kit::{json, run, run_with_stdin};

const FEED: &str = "testdata/feeds/example.xml";

#[test]
fn text_output_has_code_frames_and_verdicts() {
    let out = run(&["lint", FEED, "--domain", "news.example.com"]);
    assert_eq!(out.status.code(), Some(1));
    insta::assert_snapshot!(String::from_utf8_lossy(&out.stdout));
}

#[test]
fn json_output_follows_the_contract() {
    let out = run(&[
        "lint",
        FEED,
        "--domain",
        "news.example.com",
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let doc = json(&out);
    insta::assert_json_snapshot!(doc);
    assert_eq!(doc["version"], 1);
    let articles = doc["inputs"][0]["articles"].as_array().expect("articles");
    let verdicts: Vec<&str> = articles
        .iter()
        .map(|a| a["verdict"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(verdicts, ["pass", "warn", "reject"]);
    assert_eq!(articles[2]["line"], 58);
    assert_eq!(doc["summary"]["errors"], 2);
}

#[test]
fn sarif_output_lists_rules_and_results() {
    let out = run(&[
        "lint",
        FEED,
        "--domain",
        "news.example.com",
        "--format",
        "sarif",
    ]);
    let doc = json(&out);
    assert_eq!(doc["version"], "2.1.0");
    let run0 = &doc["runs"][0];
    let rules = run0["tool"]["driver"]["rules"].as_array().expect("rules");
    assert_eq!(rules.len(), iarss::validate::RuleId::ALL.len());
    let results = run0["results"].as_array().expect("results");
    assert_eq!(results.len(), 7);
    for r in results {
        let idx = r["ruleIndex"].as_u64().expect("ruleIndex") as usize;
        assert_eq!(rules[idx]["id"], r["ruleId"]);
        assert!(
            r["locations"][0]["physicalLocation"]["region"]["startLine"]
                .as_u64()
                .is_some()
        );
    }
    let ids: Vec<&str> = results
        .iter()
        .filter_map(|r| r["ruleId"].as_str())
        .collect();
    insta::assert_snapshot!(ids.join("\n"));
}

#[test]
fn github_output_puts_errors_first_and_escapes() {
    let out = run(&[
        "lint",
        FEED,
        "--domain",
        "news.example.com",
        "--format",
        "github",
    ]);
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    insta::assert_snapshot!(text);
    let first_warning = text
        .lines()
        .position(|l| l.starts_with("::warning"))
        .expect("warnings");
    let lines: Vec<&str> = text.lines().collect();
    let last_error = lines
        .iter()
        .rposition(|l| l.starts_with("::error"))
        .expect("errors");
    assert!(last_error < first_warning);
    assert!(text.contains("title=canonical-domain-mismatch::"));
}

#[test]
fn exit_codes() {
    let clean = "testdata/rules/figure-in-paragraph/pass.html";
    let warned = "testdata/rules/figure-in-paragraph/fail.html";
    assert_eq!(run(&["lint", clean]).status.code(), Some(0));
    assert_eq!(
        run(&["lint", warned]).status.code(),
        Some(0),
        "warnings alone pass"
    );
    assert_eq!(
        run(&["lint", warned, "--deny-warnings"]).status.code(),
        Some(1)
    );
    assert_eq!(
        run(&["lint", "testdata/rules/missing-canonical/fail.html"])
            .status
            .code(),
        Some(1)
    );
    let missing = run(&["lint", clean, "no/such/file.xml"]);
    assert_eq!(
        missing.status.code(),
        Some(2),
        "an unreadable path is exit 2, the highest"
    );
    assert!(String::from_utf8_lossy(&missing.stderr).contains("no/such/file.xml"));
    assert_eq!(
        run(&["lint", clean, "--format", "yaml"]).status.code(),
        Some(2)
    );
    assert_eq!(
        run(&["lint", clean, "--domain", "http://x/y"])
            .status
            .code(),
        Some(2)
    );
    assert_eq!(run(&["explain", "no-such-rule"]).status.code(), Some(2));
}

#[test]
fn several_inputs_and_stdin() {
    let clean = std::fs::read("testdata/rules/figure-in-paragraph/pass.html").expect("fixture");
    let out = run_with_stdin(&["lint", "-", FEED, "--format", "json"], &clean);
    let doc = json(&out);
    let inputs = doc["inputs"].as_array().expect("inputs");
    assert_eq!(inputs.len(), 2);
    assert_eq!(inputs[0]["input"], "-");
    assert_eq!(inputs[0]["kind"], "article");
    assert_eq!(inputs[1]["kind"], "feed");
    // Without --domain the foreign canonical is not an error; the missing op-published is.
    assert_eq!(out.status.code(), Some(1));
    let no_args = run_with_stdin(&["lint", "--format", "json"], &clean);
    assert_eq!(json(&no_args)["inputs"][0]["input"], "-");
    assert_eq!(no_args.status.code(), Some(0));
}

#[test]
fn feed_level_errors_empty_the_articles() {
    let out = run(&[
        "lint",
        "testdata/rules/feed-not-well-formed/fail.xml",
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let doc = json(&out);
    assert_eq!(
        doc["inputs"][0]["diagnostics"][0]["rule"],
        "feed-not-well-formed"
    );
    assert!(
        doc["inputs"][0]["diagnostics"][0]["line"]
            .as_u64()
            .is_some()
    );
    assert_eq!(
        doc["inputs"][0]["articles"].as_array().map(Vec::len),
        Some(0)
    );
    assert_eq!(doc["summary"]["errors"], 1);
}

#[test]
fn rules_and_explain() {
    let out = run(&["rules", "--format", "json"]);
    assert_eq!(out.status.code(), Some(0));
    let rules = json(&out);
    let rules = rules.as_array().expect("array");
    assert_eq!(rules.len(), iarss::validate::RuleId::ALL.len());
    let fip = rules
        .iter()
        .find(|r| r["id"] == "figure-in-paragraph")
        .expect("rule");
    assert_eq!(fip["severity"], "warning");
    assert_eq!(fip["scope"], "article");
    assert!(
        rules
            .iter()
            .any(|r| r["id"] == "update-not-newer" && r["scope"] == "update")
    );
    let text = run(&["rules"]);
    assert!(String::from_utf8_lossy(&text.stdout).contains("missing-op-published"));
    let explain = run(&["explain", "figure-in-paragraph"]);
    assert_eq!(explain.status.code(), Some(0));
    insta::assert_snapshot!(String::from_utf8_lossy(&explain.stdout));
}

/// A one-thread HTTP server on 127.0.0.1 answering `requests` requests, then stopping.
fn serve(requests: usize) -> (String, thread::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let feed = std::fs::read(FEED).expect("feed");
    let handle = thread::spawn(move || {
        for stream in listener.incoming().take(requests) {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().expect("clone"));
            let mut request_line = String::new();
            let _ = reader.read_line(&mut request_line);
            let mut line = String::new();
            while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
                line.clear();
            }
            let (status, body): (&str, &[u8]) = if request_line.starts_with("GET /feed.xml ") {
                ("200 OK", &feed)
            } else {
                ("404 Not Found", b"not here")
            };
            let head = format!(
                "HTTP/1.1 {status}\r\nContent-Type: application/rss+xml; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            let _ = stream.write_all(head.as_bytes());
            let _ = stream.write_all(body);
        }
    });
    (base, handle)
}

#[test]
fn lints_a_feed_over_http() {
    let (base, server) = serve(2);
    let ok = run(&[
        "lint",
        &format!("{base}/feed.xml"),
        "--domain",
        "news.example.com",
        "--format",
        "json",
    ]);
    let doc = json(&ok);
    assert_eq!(
        doc["inputs"][0]["articles"].as_array().map(Vec::len),
        Some(3)
    );
    let missing = run(&["lint", &format!("{base}/missing.xml"), "--format", "json"]);
    assert_eq!(missing.status.code(), Some(1));
    let doc = json(&missing);
    assert_eq!(
        doc["inputs"][0]["diagnostics"][0]["rule"],
        "feed-fetch-failed"
    );
    assert!(
        doc["inputs"][0]["diagnostics"][0]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("404")
    );
    server.join().expect("server");
}

#[test]
fn deny_private_networks_refuses_loopback() {
    let out = run(&[
        "lint",
        "http://127.0.0.1:9/feed.xml",
        "--deny-private-networks",
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let doc = json(&out);
    let d = &doc["inputs"][0]["diagnostics"][0];
    assert_eq!(d["rule"], "feed-fetch-failed");
    assert!(
        d["message"]
            .as_str()
            .unwrap_or_default()
            .contains("private"),
        "{d}"
    );
}

/// `--deny-private-networks` holds on every redirect hop, as the daemon's guard does: a
/// public address that redirects to loopback (by address, by name, IPv4-mapped, NAT64) or
/// to a private network is refused in `lint`, `ingest` and `ingest --dry-run`, and the
/// private address is never asked. A public address is needed for the first hop, so the
/// check runs in a network namespace of its own (as root, with `unshare`), where the
/// loopback interface also holds 1.2.3.4; without one it is skipped with a line saying so.
#[test]
fn deny_private_networks_holds_on_every_redirect() {
    let root = std::process::Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0");
    let unshare = std::process::Command::new("unshare")
        .args(["--net", "true"])
        .status()
        .is_ok_and(|s| s.success());
    if !(root && unshare) {
        eprintln!(
            "skipped deny_private_networks_holds_on_every_redirect: needs root and `unshare --net`"
        );
        return;
    }
    let out = std::process::Command::new("unshare")
        .args(["--net", "--"])
        .arg(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "cli::redirects_to_private_addresses_in_a_namespace",
            "--ignored",
            "--nocapture",
        ])
        .env("IARSS_TEST_IN_NAMESPACE", "1")
        .output()
        .expect("run the check in a namespace");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{text}");
    assert!(text.contains("1 passed"), "{text}");
}

/// The half of [`deny_private_networks_holds_on_every_redirect`] that runs inside its
/// network namespace.
#[test]
#[ignore = "runs inside a network namespace, started by deny_private_networks_holds_on_every_redirect"]
fn redirects_to_private_addresses_in_a_namespace() {
    if std::env::var_os("IARSS_TEST_IN_NAMESPACE").is_none() {
        return;
    }
    for args in [
        vec!["link", "set", "lo", "up"],
        vec!["addr", "add", "1.2.3.4/32", "dev", "lo"],
        vec!["addr", "add", "10.0.0.1/32", "dev", "lo"],
    ] {
        let status = std::process::Command::new("ip").args(&args).status();
        assert!(status.is_ok_and(|s| s.success()), "ip {args:?}");
    }
    // One server on every address: /r/N redirects to target N; anything else is the feed
    // (and is counted: a private address must never be asked).
    let listener = TcpListener::bind("0.0.0.0:0").expect("bind");
    let port = listener.local_addr().unwrap().port();
    let targets = [
        format!("http://127.0.0.1:{port}/feed.xml"),
        format!("http://localhost:{port}/feed.xml"),
        format!("http://[::ffff:127.0.0.1]:{port}/feed.xml"),
        format!("http://[64:ff9b::7f00:1]:{port}/feed.xml"),
        format!("http://10.0.0.1:{port}/feed.xml"),
    ];
    let asked = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    {
        let targets = targets.clone();
        let asked = asked.clone();
        let feed = std::fs::read(FEED).expect("feed");
        thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let mut reader = BufReader::new(stream.try_clone().expect("clone"));
                let mut request_line = String::new();
                let _ = reader.read_line(&mut request_line);
                let mut line = String::new();
                while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
                    line.clear();
                }
                let path = request_line
                    .split(' ')
                    .nth(1)
                    .unwrap_or_default()
                    .to_string();
                let head = match path
                    .strip_prefix("/r/")
                    .and_then(|n| n.parse::<usize>().ok())
                {
                    Some(n) => format!(
                        "HTTP/1.1 302 Found\r\nLocation: {}\r\nContent-Length: 0\r\n\r\n",
                        targets[n]
                    ),
                    None => {
                        asked.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                        format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n", feed.len())
                    }
                };
                let _ = stream.write_all(head.as_bytes());
                if !path.starts_with("/r/") {
                    let _ = stream.write_all(&feed);
                }
            }
        });
    }
    let dir = kit::scratch("deny-private-redirects");
    let db = format!("sqlite://{}", dir.join("iarss.db").display());
    for (n, target) in targets.iter().enumerate() {
        let url = format!("http://1.2.3.4:{port}/r/{n}");
        let lint = run(&["lint", &url, "--deny-private-networks", "--format", "json"]);
        assert_eq!(lint.status.code(), Some(1), "lint {target}");
        let doc = json(&lint);
        let d = &doc["inputs"][0]["diagnostics"][0];
        assert_eq!(d["rule"], "feed-fetch-failed", "lint {target}: {d}");
        for dry in [true, false] {
            let mut args = vec![
                "--db",
                &db,
                "ingest",
                "--feed",
                &url,
                "--domain",
                "news.example.com",
                "--deny-private-networks",
                "--format",
                "json",
            ];
            if dry {
                args.push("--dry-run");
            }
            let out = run(&args);
            assert_eq!(out.status.code(), Some(1), "ingest {target} dry={dry}");
            let text = String::from_utf8_lossy(&out.stdout);
            assert!(text.contains("feed-fetch-failed"), "{target}: {text}");
        }
    }
    // Without the flag the operator's own command follows the redirect.
    let followed = run(&[
        "lint",
        &format!("http://1.2.3.4:{port}/r/0"),
        "--format",
        "json",
    ]);
    assert_eq!(
        json(&followed)["inputs"][0]["articles"]
            .as_array()
            .map(Vec::len),
        Some(3)
    );
    assert_eq!(
        asked.load(std::sync::atomic::Ordering::SeqCst),
        1,
        "a private address was asked with --deny-private-networks"
    );
}

/// Page ids `.` and `..` (which a URL path resolves away) and ids that start like an
/// option are refused; a feed URL's password never shows in text or JSON output.
#[test]
fn page_ids_are_slugs_and_feed_passwords_stay_hidden() {
    let dir = kit::scratch("cli-page-ids");
    let db = format!("sqlite://{}", dir.join("iarss.db").display());
    for id in [".", "..", "-x", "_x"] {
        let out = run(&[
            "--db",
            &db,
            "pages",
            "add",
            "--id",
            id,
            "--domain",
            "example.org",
            "--feed",
            "https://example.org/ia.rss",
        ]);
        assert_eq!(out.status.code(), Some(2), "id `{id}` accepted");
    }
    let feed = "https://reader:feed-s3cret@news.example.com/ia.rss";
    let added = run(&[
        "--db",
        &db,
        "pages",
        "add",
        "--id",
        "news",
        "--domain",
        "news.example.com",
        "--feed",
        feed,
        "--dev-feed",
        feed,
    ]);
    assert_eq!(
        added.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&added.stderr)
    );
    let feed_file = dir.join("feed.xml");
    std::fs::copy(FEED, &feed_file).unwrap();
    for args in [
        vec!["pages", "list"],
        vec!["pages", "list", "--format", "json"],
        vec!["pages", "show", "news"],
        vec!["pages", "show", "news", "--format", "json"],
    ] {
        let mut all = vec!["--db", db.as_str()];
        all.extend(&args);
        let out = run(&all);
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{args:?}");
        assert!(
            !text.contains("feed-s3cret"),
            "{args:?} shows the password:\n{text}"
        );
        assert!(
            text.contains("reader:***@") || text.contains("***"),
            "{args:?}:\n{text}"
        );
    }
    // A run of a URL with a password (refused before anything is sent: no such host).
    let out = run(&["--db", &db, "ingest", "--feed", feed, "--page", "news"]);
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        !text.contains("feed-s3cret"),
        "ingest shows the password:\n{text}"
    );
}

/// Annotations never carry a raw control character: a message that quotes what an input
/// holds has its escape sequences written out.
#[test]
fn github_annotations_carry_no_terminal_escapes() {
    let html = "<!doctype html><html dir=\"\u{1b}[31mrtl\"><head><meta charset=\"utf-8\">\
                <link rel=\"canonical\" href=\"https://example.com/a\"></head><body><article>\
                <header><h1>Title</h1><time class=\"op-published\" datetime=\"2024-03-10T08:00:00Z\">\
                x</time></header><p>Text.</p></article></body></html>";
    let out = run_with_stdin(&["lint", "-", "--format", "github"], html.as_bytes());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("article-forbidden-character"), "{text}");
    assert!(text.contains("invalid-dir"), "{text}");
    assert!(
        !text.contains('\u{1b}'),
        "a raw escape reached the annotations: {text:?}"
    );
    let plain = run_with_stdin(&["lint", "-"], html.as_bytes());
    let plain = String::from_utf8_lossy(&plain.stdout);
    assert!(
        !plain.contains('\u{1b}'),
        "a raw escape reached the text output: {plain:?}"
    );
}
