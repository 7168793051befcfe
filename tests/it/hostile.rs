//! Inputs a hostile or careless publisher or operator can give, through the command line:
//! each ends with a clear diagnostic or error and a bounded amount of work, never a panic.

use crate::kit;
use std::process::Output;

use kit::{input_rules, json, run, run_with_stdin, scratch};

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// No panic message, whatever happened.
fn no_panic(out: &Output) {
    let err = stderr(out);
    assert!(!err.contains("panicked"), "{err}");
    assert_ne!(out.status.code(), Some(101), "{err}");
}

/// A valid one-item feed with these extra channel/item parts.
fn feed(rss_attrs: &str, pub_date: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <rss version=\"2.0\" xmlns:content=\"http://purl.org/rss/1.0/modules/content/\"{rss_attrs}>\n\
         <channel><title>T</title><link>https://news.example.com/</link><description>D</description>\n\
         <item><title>A</title><link>https://news.example.com/a</link><guid>a</guid>\n\
         <pubDate>{pub_date}</pubDate>\n\
         <content:encoded><![CDATA[<html><head><link rel=\"canonical\" href=\"https://news.example.com/a\"></head>\
         <body><article><header><h1>A</h1><time class=\"op-published\" datetime=\"2026-11-20T08:00:00Z\">x</time></header>\
         <p>Text.</p></article></body></html>]]></content:encoded></item>\n\
         </channel></rss>\n"
    )
}

#[test]
fn a_pubdate_with_a_multibyte_zone_is_a_warning_not_a_panic() {
    let out = run_with_stdin(
        &["lint", "--format", "json"],
        feed("", "Fri, 20 Nov 2026 08:00:00 +0é0").as_bytes(),
    );
    no_panic(&out);
    let doc = json(&out);
    assert!(
        kit::rules_of(&doc).contains(&"item-invalid-pubdate".to_string()),
        "{doc:#}"
    );
    assert_eq!(
        doc["inputs"][0]["articles"].as_array().map(Vec::len),
        Some(1)
    );
}

#[test]
fn an_empty_input_in_any_encoding_is_not_well_formed() {
    let dir = scratch("hostile-empty");
    for (name, bytes) in [
        ("utf16le-bom.xml", &b"\xFF\xFE"[..]),
        ("utf16be-bom.xml", &b"\xFE\xFF"[..]),
        ("empty.xml", &b""[..]),
    ] {
        let path = dir.join(name);
        std::fs::write(&path, bytes).expect("write");
        let out = run(&["lint", &path.to_string_lossy(), "--format", "json"]);
        no_panic(&out);
        assert_eq!(out.status.code(), Some(1), "{name}: {}", stderr(&out));
        assert!(
            kit::rules_of(&json(&out)).contains(&"feed-not-well-formed".to_string()),
            "{name}"
        );
    }
}

#[test]
fn a_doctype_with_an_internal_subset_is_still_a_feed() {
    let text = feed("", "Fri, 20 Nov 2026 08:00:00 +0000").replacen(
        "<rss",
        "<!DOCTYPE rss [\n<!ENTITY nbsp \"&#160;\">\n]>\n<rss",
        1,
    );
    let out = run_with_stdin(&["lint", "--format", "json"], text.as_bytes());
    no_panic(&out);
    let doc = json(&out);
    assert_eq!(doc["inputs"][0]["kind"], "feed", "{doc:#}");
    assert_eq!(
        doc["inputs"][0]["articles"].as_array().map(Vec::len),
        Some(1)
    );
}

#[test]
fn code_frames_of_a_one_line_feed_are_bounded() {
    // 2,400 tiny items on one line: every diagnostic points into the same 100+ KB line.
    let item = "<item><title>t</title><link>https://news.example.com/x</link>\
                <content:encoded>x</content:encoded></item>";
    let text = format!(
        "<rss version=\"2.0\" xmlns:content=\"http://purl.org/rss/1.0/modules/content/\">\
         <channel><title>T</title><link>https://news.example.com/</link><description>D</description>{}\
         </channel></rss>",
        item.repeat(2400)
    );
    assert!(text.len() > 100_000 && !text.contains('\n'));
    let out = run_with_stdin(&["lint"], text.as_bytes());
    no_panic(&out);
    let shown = String::from_utf8_lossy(&out.stdout);
    let longest = shown.lines().map(|l| l.chars().count()).max().unwrap_or(0);
    assert!(longest < 400, "a frame line of {longest} characters");
    // The frame still says where, in the file's own terms.
    assert!(
        shown.contains("-:1:"),
        "{}",
        &shown[..shown.len().min(2000)]
    );
}

#[test]
fn endless_inputs_stop_at_the_size_cap() {
    if !std::path::Path::new("/dev/zero").exists() {
        eprintln!("skipped: no /dev/zero on this system");
        return;
    }
    let out = run(&[
        "lint",
        "/dev/zero",
        "--format",
        "json",
        "--max-bytes",
        "1048576",
    ]);
    no_panic(&out);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(kit::rules_of(&json(&out)).contains(&"feed-too-large".to_string()));

    // The default cap applies to standard input too.
    let big = vec![b' '; 17 * 1024 * 1024];
    let out = run_with_stdin(&["lint", "--format", "json"], &big);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(kit::rules_of(&json(&out)).contains(&"feed-too-large".to_string()));

    let dir = scratch("hostile-dev-zero");
    let db = format!("sqlite://{}", dir.join("iarss.db").display());
    let out = run(&[
        "--db",
        &db,
        "ingest",
        "--feed",
        "/dev/zero",
        "--domain",
        "news.example.com",
        "--format",
        "json",
        "--max-bytes",
        "1048576",
    ]);
    no_panic(&out);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(json(&out)["outcome"], "too_large");

    let out = run(&["daemon", "--config", "/dev/zero", "--print-config"]);
    no_panic(&out);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("1 MiB"), "{}", stderr(&out));
}

#[test]
fn too_many_threads_is_a_usage_error() {
    let out = run(&["lint", "testdata/feeds/example.xml", "--threads", "20000"]);
    no_panic(&out);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("256"), "{}", stderr(&out));
}

#[test]
fn daemon_settings_that_cannot_work_are_refused_at_start() {
    for (var, value, key) in [
        ("IARSS_SCHEDULE_TICK", "0s", "schedule.tick"),
        ("IARSS_FETCH_TIMEOUT", "0s", "fetch.timeout"),
        ("IARSS_FETCH_MAX_BODY_BYTES", "0", "fetch.max_body_bytes"),
        (
            "IARSS_SCHEDULE_INTERVAL",
            "200000000000s",
            "schedule.interval",
        ),
    ] {
        let mut cmd = kit::iarss();
        // Only the variable under test: the daemon refuses unknown IARSS_ variables.
        for (k, _) in std::env::vars().filter(|(k, _)| k.starts_with("IARSS_")) {
            cmd.env_remove(k);
        }
        let out = cmd
            .args(["daemon", "--print-config"])
            .env(var, value)
            .output()
            .expect("run iarss");
        assert_eq!(
            out.status.code(),
            Some(2),
            "{var}={value}: {}",
            stderr(&out)
        );
        assert!(
            stderr(&out).contains(key),
            "{var}={value}: {}",
            stderr(&out)
        );
    }
}

#[test]
fn a_file_that_is_not_a_sqlite_database_says_so() {
    let dir = scratch("hostile-not-a-db");
    let path = dir.join("notes.txt");
    std::fs::write(&path, "these are my notes, not a database\n".repeat(200)).expect("write");
    let db = format!("sqlite://{}", path.display());
    let started = std::time::Instant::now();
    let out = run(&["--db", &db, "pages", "list"]);
    no_panic(&out);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("not a SQLite database"),
        "{}",
        stderr(&out)
    );
    // Said at once, not after the pool's 10 s acquire timeout.
    assert!(started.elapsed() < std::time::Duration::from_secs(8));
}

#[test]
fn page_ids_and_feed_urls_are_checked() {
    let dir = scratch("hostile-page-ids");
    let db = format!("sqlite://{}", dir.join("iarss.db").display());
    for (id, feed) in [
        ("", "https://news.example.com/feed"),
        ("news/../admin", "https://news.example.com/feed"),
        ("<script>", "https://news.example.com/feed"),
        ("news", "javascript:alert(1)"),
        ("news", "ftp://news.example.com/feed"),
    ] {
        let out = run(&[
            "--db",
            &db,
            "pages",
            "add",
            "--id",
            id,
            "--domain",
            "news.example.com",
            "--feed",
            feed,
        ]);
        no_panic(&out);
        assert_eq!(out.status.code(), Some(2), "{id} {feed}: {}", stderr(&out));
    }
    let out = run(&[
        "--db",
        &db,
        "pages",
        "add",
        "--id",
        "news.example_com-1",
        "--domain",
        "news.example.com",
        "--feed",
        "https://news.example.com/feed",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

#[test]
fn a_near_miss_content_namespace_is_read_with_a_warning() {
    for uri in [
        "http://purl.org/rss/1.0/modules/content",
        "https://purl.org/rss/1.0/modules/content/",
    ] {
        let text = feed("", "Fri, 20 Nov 2026 08:00:00 +0000")
            .replace("http://purl.org/rss/1.0/modules/content/", uri);
        let out = run_with_stdin(&["lint", "--format", "json"], text.as_bytes());
        let doc = json(&out);
        let rules = kit::rules_of(&doc);
        assert!(
            rules.contains(&"feed-content-namespace-nonstandard".to_string()),
            "{uri}: {rules:?}"
        );
        assert!(
            !rules.contains(&"item-missing-content".to_string()),
            "{uri}: {rules:?}"
        );
        let d = &doc["inputs"][0]["diagnostics"][0];
        assert!(
            d["message"].as_str().is_some_and(|m| m.contains(uri)),
            "{d:#}"
        );
    }
    // Any other URI is not the content module, and the message says which one it was.
    let text = feed("", "Fri, 20 Nov 2026 08:00:00 +0000").replace(
        "http://purl.org/rss/1.0/modules/content/",
        "http://example.com/content/",
    );
    let out = run_with_stdin(&["lint", "--format", "json"], text.as_bytes());
    let doc = json(&out);
    let missing = kit::all_diagnostics(&doc)
        .into_iter()
        .find(|d| d["rule"] == "item-missing-content")
        .expect("item-missing-content");
    assert!(
        missing["message"]
            .as_str()
            .is_some_and(|m| m.contains("http://example.com/content/")),
        "{missing:#}"
    );
}

/// A control character XML forbids inside an item's article, raw in CDATA, raw in escaped
/// content or as a character reference, makes the whole feed `feed-not-well-formed` at its
/// line, on one thread or several: it never reaches an article (whose own check for one is
/// left out for items on that account).
#[test]
fn a_forbidden_control_in_an_items_article_refuses_the_feed() {
    let clean = feed("", "Fri, 20 Nov 2026 08:00:00 +0000");
    let cdata = clean.replace("<p>Text.</p>", "<p>Te\u{1}xt.</p>");
    let escaped = clean
        .replace("<![CDATA[", "")
        .replace("]]>", "")
        .replace("<html>", "&lt;html&gt;")
        .replace("<p>Text.</p>", "&lt;p&gt;Te\u{8}xt.&lt;/p&gt;");
    let reference = clean.replace("<p>Text.</p>", "]]>&#1;<![CDATA[");
    for (name, text) in [
        ("cdata", cdata),
        ("escaped", escaped),
        ("reference", reference),
    ] {
        for threads in ["1", "2"] {
            let out = run_with_stdin(
                &["lint", "--format", "json", "--threads", threads, "-"],
                text.as_bytes(),
            );
            no_panic(&out);
            let doc = json(&out);
            let input = &doc["inputs"][0];
            assert_eq!(
                input_rules(input),
                ["feed-not-well-formed"],
                "{name}: {input}"
            );
            assert_eq!(input["diagnostics"][0]["line"], 6, "{name}: {input}");
            assert_eq!(
                input["articles"].as_array().map_or(0, Vec::len),
                0,
                "{name}: no article is reported: {input}"
            );
        }
    }
}
