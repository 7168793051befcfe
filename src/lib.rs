//! iarss: ingests Instant Articles from publishers' RSS feeds, and lints them first.
//!
//! Data flows one way:
//!
//! 1. [`fetch`] downloads a feed (or [`cli`] opens a file or stdin),
//! 2. [`parse`] streams it with quick-xml into items and parses each article with html5ever
//!    into a typed [`InstantArticle`](parse::InstantArticle), keeping every position,
//! 3. [`validate`] runs the rules of its one [`registry`](validate::registry) and produces
//!    [`Diagnostic`](model::Diagnostic)s and a verdict per article,
//! 4. the command line renders them ([`cli::output`]).
//!
//! [`model`] holds the plain domain types every stage shares.

pub mod cli;
pub mod config;
pub mod fetch;
pub mod ingest;
pub mod model;
pub mod parse;
pub mod schedule;
pub mod server;
pub mod store;
pub mod validate;
