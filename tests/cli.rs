//! The command line as publishers' CI uses it: formats, exit codes, inputs from files,
//! standard input and HTTP, `rules` and `explain`.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::thread;

use common::{json, run, run_with_stdin};

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
