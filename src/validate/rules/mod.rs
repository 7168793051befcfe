//! The rule checks, one file per group of rules.md section 3. Each group's `check` reads
//! the parsed article through a [`Checker`](super::context::Checker) and reports.

pub mod body;
pub mod embeds;
pub mod footer;
pub mod head;
pub mod header;
pub mod item;
pub mod media;
