//! iarss: ingests Instant Articles from publishers' RSS feeds, and lints them first.
//!
//! Data flows one way:
//!
//! 1. [`fetch`] downloads a feed (or reads a file or stdin under the same size cap),
//! 2. [`parse`] streams it with quick-xml into items and parses each article with html5ever
//!    into a typed [`InstantArticle`](parse::InstantArticle), keeping every position,
//! 3. [`validate`] runs the checks of every rule and produces [`Diagnostic`](model::Diagnostic)s
//!    and a verdict per article,
//! 4. [`ingest`] decides what each item does to the [`store`] and commits the run; the
//!    command line and the API render a lint ([`report`]).
//!
//! Layers, lowest first; each uses only the ones before it:
//!
//! - [`registry`]: every rule (id, severity, group, summary, documentation),
//! - [`model`]: plain domain types (diagnostics, positions, URLs, domains, times, statuses),
//! - [`parse`], then [`validate`], then [`report`] (lint and record rendering),
//! - [`fetch`] (downloads and capped local reads),
//! - [`store`] (SQLite or PostgreSQL) and [`ingest`] (one feed run end to end),
//! - [`access`] (users, API tokens, web sessions, the login throttle, the audit log),
//! - [`service`] (what the API and the web pages do, with access checks and audit),
//! - [`schedule`] (the daemon's scheduler), [`notify`] (the daemon's delivery worker for
//!   webhooks and e-mail, over the store and the fetcher's guard) and [`http`] (health,
//!   metrics, the API and the web pages, over the service),
//! - [`config`] (the daemon's settings) and [`cli`] (the command line).

pub mod access;
pub mod cli;
pub mod config;
pub mod fetch;
pub mod http;
pub mod ingest;
pub mod model;
pub mod notify;
pub mod parse;
pub mod registry;
pub mod report;
pub mod schedule;
pub mod service;
pub mod store;
pub mod validate;
