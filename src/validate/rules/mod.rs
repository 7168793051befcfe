//! The rule checks, one file per rule group (rules in docs/rules.md). Each article group's
//! `check` reads the parsed article through a [`Checker`](super::context::Checker) and
//! reports; [`item`] checks a feed item's fields and [`feed`] the channel and duplicates.

pub mod body;
pub mod embeds;
pub mod feed;
pub mod footer;
pub mod head;
pub mod header;
pub mod item;
pub mod media;
pub mod values;
