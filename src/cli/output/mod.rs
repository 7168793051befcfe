//! What the command line prints: lint reports (rendered by [`crate::report`]), tables for
//! people; stored records print as the service's views ([`crate::service::views`]).

pub mod table;

pub use crate::report::{LintedInput, render};
