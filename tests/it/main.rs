//! Every integration test of iarss, in one binary that compiles the test kit once: the
//! CLI, the linter's rules and the shared corpus, fetching, the store on both backends,
//! ingestion and the daemon, manual writes and dry runs, accounts, the HTTP server and its
//! API, the web pages (also in a real browser), and the fuzzers' regressions.

#[path = "../kit/mod.rs"]
mod kit;

mod access;
mod api;
mod browser;
mod cli;
mod corpus;
mod daemon;
mod dry_run;
mod fetch;
mod fuzz_regressions;
mod generated;
mod hostile;
mod manual_writes;
mod notify;
mod rules;
mod server;
mod store;
mod web;
