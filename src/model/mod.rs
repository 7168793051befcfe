//! Plain domain types shared by every stage: positions, diagnostics and the typed values
//! (URLs, hosts, times) that input is turned into at the edge.

mod diagnostic;
mod excerpt;
mod status;
mod text;
mod time;
mod url;

pub use diagnostic::{Diagnostic, Position};
pub use excerpt::{ExcerptLine, excerpt, excerpt_of_lines};
pub use status::{ArticleStatus, UnknownStatus};
pub use text::{
    control_name, escape_html, first_forbidden_byte, first_forbidden_control, is_forbidden_control,
};
pub use time::{
    DEFAULT_ZONE, DEFAULT_ZONE_NAME, DateTimeValue, Timestamp, from_ms, now_ms, parse_datetime,
    parse_pubdate, rfc3339,
};
pub use url::{CanonicalUrl, Domain, DomainError, host_matches_domain, mask_url};
