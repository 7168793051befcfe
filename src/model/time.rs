//! Date-times as the platform reads them: the lenient ISO 8601 grammar of `op-published`
//! and `op-modified` (docs/decisions.md, decision 21) and RSS `pubDate` (RFC 5322 or
//! ISO 8601).

use chrono::{
    DateTime, Datelike, FixedOffset, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, TimeZone,
    Utc,
};
use chrono_tz::Tz;

/// A parsed date-time: the instant, and whether the text gave its own offset.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DateTimeValue {
    /// The instant, in UTC.
    pub instant: DateTime<Utc>,
    /// `false` when the value had no `Z` or offset and was read in the default time zone.
    pub has_offset: bool,
}

/// Parses a `datetime` attribute by the lenient grammar of decision 21; offset-less values
/// are read in `zone` (a DST gap moves forward, an ambiguous time takes the earlier instant).
pub fn parse_datetime(raw: &str, zone: Tz) -> Option<DateTimeValue> {
    let mut s = Cursor::new(raw.trim());
    let year = s.digits(4, 4)? as i32;
    s.eat(b'-')?;
    let month = s.digits(1, 2)?;
    s.eat(b'-')?;
    let day = s.digits(1, 2)?;
    match s.peek()? {
        b'T' | b't' | b' ' => s.pos += 1,
        _ => return None,
    }
    let hour = s.digits(1, 2)?;
    s.eat(b':')?;
    let minute = s.digits(2, 2)?;
    let mut second = 0u64;
    let mut nanos = 0u32;
    if s.peek() == Some(b':') {
        s.pos += 1;
        second = s.digits(2, 2)?;
        if s.peek() == Some(b'.') || s.peek() == Some(b',') {
            s.pos += 1;
            let start = s.pos;
            let frac = s.digits(1, 18)?;
            let len = s.pos - start;
            nanos = if len >= 9 {
                (frac / 10u64.pow((len - 9) as u32)) as u32
            } else {
                (frac * 10u64.pow((9 - len) as u32)) as u32
            };
        }
    }
    let offset = match s.peek() {
        None => None,
        Some(b'Z' | b'z') => {
            s.pos += 1;
            Some(0)
        }
        Some(sign @ (b'+' | b'-')) => {
            s.pos += 1;
            let hh = s.digits(2, 2)?;
            let mm = if s.peek() == Some(b':') {
                s.pos += 1;
                s.digits(2, 2)?
            } else if s.peek().is_some() {
                s.digits(2, 2)?
            } else {
                0
            };
            if hh > 23 || mm > 59 {
                return None;
            }
            let secs = (hh * 3600 + mm * 60) as i32;
            Some(if sign == b'-' { -secs } else { secs })
        }
        Some(_) => return None,
    };
    if !s.at_end() {
        return None;
    }
    let naive = naive(
        year,
        month as u32,
        day as u32,
        hour as u32,
        minute as u32,
        second as u32,
        nanos,
    )?;
    resolve(naive, offset, zone)
}

/// Parses an RSS `pubDate`: RFC 5322 date-time with the obsolete syntax, or the
/// `datetime` grammar of [`parse_datetime`].
pub fn parse_pubdate(raw: &str, zone: Tz) -> Option<DateTimeValue> {
    parse_rfc5322(raw.trim()).or_else(|| parse_datetime(raw, zone))
}

fn parse_rfc5322(s: &str) -> Option<DateTimeValue> {
    let mut words: Vec<&str> = s
        .split(|c: char| c.is_ascii_whitespace() || c == ',')
        .filter(|w| !w.is_empty())
        .collect();
    let mut weekday = None;
    if let Some(first) = words.first()
        && first.chars().next()?.is_ascii_alphabetic()
    {
        weekday = Some(weekday_index(first)?);
        words.remove(0);
    }
    if words.len() != 4 && words.len() != 5 {
        return None;
    }
    let day: u32 = parse_num(words[0], 1, 2)?;
    let month = month_index(words[1])?;
    let year_txt = words[2];
    let mut year: i32 = parse_num(year_txt, 2, 4)? as i32;
    if year_txt.len() == 2 {
        year += if year < 50 { 2000 } else { 1900 };
    } else if year_txt.len() == 3 {
        year += 1900;
    }
    let mut tparts = words[3].split(':');
    let hour = parse_num(tparts.next()?, 1, 2)?;
    let minute = parse_num(tparts.next()?, 2, 2)?;
    let second = match tparts.next() {
        Some(t) => parse_num(t, 2, 2)?,
        None => 0,
    };
    if tparts.next().is_some() {
        return None;
    }
    let offset = match words.get(4) {
        Some(z) => zone_offset(z)?,
        None => return None,
    };
    let naive = naive(year, month, day, hour, minute, second, 0)?;
    if let Some(w) = weekday
        && naive.weekday().num_days_from_monday() != w
    {
        return None;
    }
    resolve(naive, Some(offset), chrono_tz::UTC)
}

fn parse_num(s: &str, min: usize, max: usize) -> Option<u32> {
    if s.len() < min || s.len() > max || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

fn weekday_index(w: &str) -> Option<u32> {
    const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
    let w = w.to_ascii_lowercase();
    DAYS.iter().position(|d| *d == w).map(|i| i as u32)
}

fn month_index(m: &str) -> Option<u32> {
    const MONTHS: [&str; 12] = [
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ];
    let m = m.to_ascii_lowercase();
    MONTHS.iter().position(|d| *d == m).map(|i| i as u32 + 1)
}

fn zone_offset(z: &str) -> Option<i32> {
    let upper = z.to_ascii_uppercase();
    let hours = match upper.as_str() {
        "UT" | "GMT" | "Z" => 0,
        "EST" => -5,
        "EDT" => -4,
        "CST" => -6,
        "CDT" => -5,
        "MST" => -7,
        "MDT" => -6,
        "PST" => -8,
        "PDT" => -7,
        // Military zones were defined with the wrong sign, so RFC 5322 reads them as +0000.
        m if m.len() == 1 && m.as_bytes()[0].is_ascii_alphabetic() && m != "J" => 0,
        _ => {
            let b = z.as_bytes();
            // ASCII only: slicing by byte index inside a multi-byte character would panic.
            if b.len() != 5 || !(b[0] == b'+' || b[0] == b'-') || !z.is_ascii() {
                return None;
            }
            let hh = parse_num(&z[1..3], 2, 2)? as i32;
            let mm = parse_num(&z[3..5], 2, 2)? as i32;
            if mm > 59 {
                return None;
            }
            let secs = hh * 3600 + mm * 60;
            return Some(if b[0] == b'-' { -secs } else { secs });
        }
    };
    Some(hours * 3600)
}

fn naive(
    year: i32,
    month: u32,
    day: u32,
    hour: u32,
    minute: u32,
    second: u32,
    nanos: u32,
) -> Option<NaiveDateTime> {
    if hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let date = NaiveDate::from_ymd_opt(year, month, day)?;
    // A leap second reads as the last second of the minute.
    let (second, nanos) = if second == 60 {
        (59, 999_999_999)
    } else {
        (second, nanos)
    };
    let time = NaiveTime::from_hms_nano_opt(hour, minute, second, nanos)?;
    Some(date.and_time(time))
}

fn resolve(naive: NaiveDateTime, offset: Option<i32>, zone: Tz) -> Option<DateTimeValue> {
    match offset {
        Some(secs) => {
            let fixed = FixedOffset::east_opt(secs)?;
            let dt = fixed.from_local_datetime(&naive).single()?;
            Some(DateTimeValue {
                instant: dt.with_timezone(&Utc),
                has_offset: true,
            })
        }
        None => {
            let instant = match zone.from_local_datetime(&naive) {
                LocalResult::Single(dt) => dt.with_timezone(&Utc),
                LocalResult::Ambiguous(earlier, _) => earlier.with_timezone(&Utc),
                LocalResult::None => {
                    // In a DST gap: move forward by the gap (read with the offset before it).
                    let before =
                        zone.offset_from_utc_datetime(&(naive - chrono::Duration::hours(3)));
                    let fixed: FixedOffset = chrono::Offset::fix(&before);
                    fixed
                        .from_local_datetime(&naive)
                        .single()?
                        .with_timezone(&Utc)
                }
            };
            Some(DateTimeValue {
                instant,
                has_offset: false,
            })
        }
    }
}

struct Cursor<'a> {
    b: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn new(s: &'a str) -> Self {
        Cursor {
            b: s.as_bytes(),
            pos: 0,
        }
    }
    fn peek(&self) -> Option<u8> {
        self.b.get(self.pos).copied()
    }
    fn at_end(&self) -> bool {
        self.pos == self.b.len()
    }
    fn eat(&mut self, c: u8) -> Option<()> {
        (self.peek()? == c).then(|| self.pos += 1)
    }
    fn digits(&mut self, min: usize, max: usize) -> Option<u64> {
        let start = self.pos;
        let mut v: u64 = 0;
        while self.pos - start < max {
            match self.peek() {
                Some(d @ b'0'..=b'9') => {
                    v = v * 10 + u64::from(d - b'0');
                    self.pos += 1;
                }
                _ => break,
            }
        }
        (self.pos - start >= min).then_some(v)
    }
}

/// The zone offset-less datetimes are read in unless configured otherwise
/// (`datetime-without-timezone` in docs/rules.md).
pub const DEFAULT_ZONE: Tz = chrono_tz::America::Los_Angeles;

/// [`DEFAULT_ZONE`] by its IANA name, for flags and configuration.
pub const DEFAULT_ZONE_NAME: &str = "America/Los_Angeles";

/// Now, in milliseconds since the epoch.
pub fn now_ms() -> i64 {
    Utc::now().timestamp_millis()
}

/// Milliseconds since the epoch as a UTC time.
pub fn from_ms(ms: i64) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(ms).single().unwrap_or_default()
}

/// RFC 3339 in UTC with a `Z` suffix, as every JSON output writes times.
pub fn rfc3339(ms: i64) -> String {
    from_ms(ms).to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// A point in time as every answer shows it: kept as milliseconds since the epoch (as the
/// store keeps times), written as RFC 3339 UTC with a `Z` suffix in JSON, described as a
/// `date-time` string in the OpenAPI document, and read as a time by the web pages without
/// parsing text back.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(pub i64);

impl Timestamp {
    /// Now.
    pub fn now() -> Timestamp {
        Timestamp(now_ms())
    }

    /// Milliseconds since the epoch.
    pub fn ms(self) -> i64 {
        self.0
    }

    /// As a UTC time.
    pub fn utc(self) -> DateTime<Utc> {
        from_ms(self.0)
    }

    /// RFC 3339 UTC, as JSON writes it.
    pub fn rfc3339(self) -> String {
        rfc3339(self.0)
    }
}

impl From<i64> for Timestamp {
    fn from(ms: i64) -> Timestamp {
        Timestamp(ms)
    }
}

impl std::fmt::Display for Timestamp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.rfc3339())
    }
}

impl serde::Serialize for Timestamp {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.rfc3339())
    }
}

impl utoipa::PartialSchema for Timestamp {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type};
        ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::DateTime)))
            .description(Some("RFC 3339, UTC"))
            .into()
    }
}

impl utoipa::ToSchema for Timestamp {}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono_tz::America::Los_Angeles as LA;

    #[test]
    fn timestamps_are_written_as_rfc3339_utc() {
        let t = Timestamp(1_710_057_600_000);
        assert_eq!(serde_json::to_value(t).unwrap(), "2024-03-10T08:00:00.000Z");
        assert_eq!(t.to_string(), "2024-03-10T08:00:00.000Z");
        assert_eq!(
            serde_json::to_value(None::<Timestamp>).unwrap(),
            serde_json::Value::Null
        );
    }

    #[test]
    fn non_ascii_zones_are_refused_not_a_panic() {
        for raw in [
            "Fri, 20 Nov 2026 08:00:00 +0é0",
            "Fri, 20 Nov 2026 08:00:00 é000",
            "20 Nov 2026 08:00 +€",
            "2026-11-20T08:00:00+0é:0",
            "2026-11-20T08:00:00é",
        ] {
            assert!(parse_pubdate(raw, LA).is_none(), "{raw}");
            assert!(parse_datetime(raw, LA).is_none(), "{raw}");
        }
    }

    fn iso(s: &str) -> Option<String> {
        parse_datetime(s, LA).map(|v| v.instant.to_rfc3339())
    }

    #[test]
    fn lenient_datetimes() {
        assert_eq!(
            iso("2016-2-04T08:00").as_deref(),
            Some("2016-02-04T16:00:00+00:00")
        );
        assert_eq!(
            iso("2016-02-10T10:00:00+00:00").as_deref(),
            Some("2016-02-10T10:00:00+00:00")
        );
        assert_eq!(
            iso("2016-02-10 10:00:00.5Z").as_deref(),
            Some("2016-02-10T10:00:00.500+00:00")
        );
        assert_eq!(
            iso("2016-02-10T10:00-0530").as_deref(),
            Some("2016-02-10T15:30:00+00:00")
        );
        assert_eq!(
            iso("2016-02-10T10:00+01").as_deref(),
            Some("2016-02-10T09:00:00+00:00")
        );
        assert!(iso("2016-02-10").is_none());
        assert!(iso("2016-02-30T10:00Z").is_none());
        assert!(iso("2016-02-10T24:00Z").is_none());
        assert!(iso("yesterday").is_none());
        assert!(!parse_datetime("2016-2-04T08:00", LA).unwrap().has_offset);
    }

    #[test]
    fn dst_gap_and_overlap() {
        // 02:30 does not exist on 2026-03-08 in Los Angeles: moves forward to 03:30 PDT.
        assert_eq!(
            iso("2026-03-08T02:30").as_deref(),
            Some("2026-03-08T10:30:00+00:00")
        );
        // 01:30 happens twice on 2026-11-01: the earlier (PDT) instant.
        assert_eq!(
            iso("2026-11-01T01:30").as_deref(),
            Some("2026-11-01T08:30:00+00:00")
        );
    }

    #[test]
    fn pubdates() {
        let p = |s: &str| parse_pubdate(s, LA).map(|v| v.instant.to_rfc3339());
        assert_eq!(
            p("Fri, 20 Nov 2026 08:00:00 +0000").as_deref(),
            Some("2026-11-20T08:00:00+00:00")
        );
        assert_eq!(
            p("20 nov 26 08:00 PST").as_deref(),
            Some("2026-11-20T16:00:00+00:00")
        );
        assert_eq!(
            p("2014-12-11T04:44:16Z").as_deref(),
            Some("2014-12-11T04:44:16+00:00")
        );
        assert!(
            p("Mon, 20 Nov 2026 08:00:00 +0000").is_none(),
            "wrong weekday"
        );
        assert!(p("not a date").is_none());
    }
}
