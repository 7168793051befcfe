//! The JSON shapes of stored records, shared with the HTTP API: see
//! [`crate::report::records`].

pub use crate::report::records::*;
