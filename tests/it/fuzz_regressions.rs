//! Every input the fuzzers found a crash with, replayed through the code its target runs
//! (`fuzz/src/lib.rs`, shared with the fuzz targets): none may panic, and a lint must
//! return a report.
//!
//! `fuzz/regressions/<target>/` holds the inputs of fixed crashes; they run here on every
//! `cargo test`. `fuzz/regressions/pending/<target>/` holds inputs of crashes not fixed yet:
//! the ignored test `pending_inputs` replays them and names those that pass now, to be
//! moved up one folder.

use crate::kit::fuzz as harness;

use std::fs;
use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};

type Target = fn(&[u8]);

const TARGETS: [(&str, Target); 5] = [
    ("lint", lint),
    ("article", harness::article),
    ("feed", harness::feed),
    ("datetime", harness::datetime),
    ("url", harness::url),
];

/// The lint target returns its report (and asserts it is not empty).
fn lint(data: &[u8]) {
    let _report = harness::lint(data);
}

fn regressions() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/regressions")
}

/// The files of `dir/<target>/` for every target, sorted; a folder that is not a target's
/// name is an error.
fn inputs(dir: &Path, skip: &[&str]) -> Vec<(Target, PathBuf)> {
    let mut found = Vec::new();
    let Ok(entries) = fs::read_dir(dir) else {
        return found;
    };
    for entry in entries {
        let path = entry.expect("readable folder").path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if !path.is_dir() || skip.contains(&name.as_str()) {
            continue;
        }
        let Some((_, target)) = TARGETS.iter().find(|(t, _)| *t == name) else {
            panic!("{}: no fuzz target is named `{name}`", path.display());
        };
        for file in fs::read_dir(&path).expect("readable folder") {
            let file = file.expect("readable folder").path();
            if file.is_file() {
                found.push((*target, file));
            }
        }
    }
    found.sort_by(|a, b| a.1.cmp(&b.1));
    found
}

/// Replays each input; returns those that panicked, with the panic message.
fn replay(inputs: &[(Target, PathBuf)]) -> Vec<(PathBuf, String)> {
    let mut failed = Vec::new();
    for (target, path) in inputs {
        let bytes = fs::read(path).expect("readable input");
        if let Err(e) = panic::catch_unwind(AssertUnwindSafe(|| target(&bytes))) {
            let message = e
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| e.downcast_ref::<&str>().map(ToString::to_string))
                .unwrap_or_default();
            failed.push((path.clone(), message));
        }
    }
    failed
}

#[test]
fn fixed_crashes_stay_fixed() {
    let inputs = inputs(&regressions(), &["pending"]);
    let failed = replay(&inputs);
    assert!(
        failed.is_empty(),
        "{} of {} saved fuzz inputs panic again:\n{}",
        failed.len(),
        inputs.len(),
        failed
            .iter()
            .map(|(p, m)| format!("  {}: {m}", p.display()))
            .collect::<Vec<_>>()
            .join("\n")
    );
}

#[test]
fn the_targets_accept_ordinary_input() {
    for (name, target) in TARGETS {
        for input in [
            &b""[..],
            b"<rss version=\"2.0\"><channel></channel></rss>",
            b"x",
        ] {
            target(input);
        }
        let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/feeds/example.xml");
        let bytes = fs::read(fixture).expect("the example feed");
        if name != "datetime" && name != "url" {
            target(&bytes);
        }
    }
    let report = harness::lint(b"<rss version=\"2.0\"><channel></channel></rss>");
    assert!(
        !report.diagnostics.is_empty(),
        "an empty channel is reported"
    );
}

#[test]
#[ignore = "replays crashes not fixed yet; run with --ignored to see which pass now"]
fn pending_inputs() {
    let inputs = inputs(&regressions().join("pending"), &[]);
    let failed = replay(&inputs);
    for (_, path) in &inputs {
        if !failed.iter().any(|(p, _)| p == path) {
            println!(
                "passes now, move it up to fuzz/regressions/: {}",
                path.display()
            );
        }
    }
    for (path, message) in &failed {
        println!("still panics: {}: {message}", path.display());
    }
}
