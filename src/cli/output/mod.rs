//! What the command line prints: lint reports (rendered by [`crate::report`]), tables for
//! people, and the JSON shapes of stored records.

pub mod records;
pub mod table;

pub use crate::report::{LintedInput, render};
