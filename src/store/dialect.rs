//! Everything that differs between the two backends, or that the store's statements and
//! the scheduler must agree on, in one place: SQL fragments in each backend's dialect, the
//! database's clock, the condition that makes a feed due, and the backoff threshold.

use super::Backend;

/// Failed runs in a row from which a feed's next fetch backs off (docs/ingestion.md:
/// "after N ≥ 3 consecutive failed runs").
pub const BACKOFF_AFTER_FAILURES: i64 = 3;

/// The database's clock in milliseconds since the epoch, as an SQL expression: leases and
/// due times are compared with the database's clock, which every daemon shares.
pub fn now_ms(backend: Backend) -> &'static str {
    match backend {
        Backend::Sqlite => "CAST(unixepoch('subsec') * 1000 AS BIGINT)",
        Backend::Postgres => "CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000 AS BIGINT)",
    }
}

/// The condition, on feeds `f` of enabled pages `p`, that a feed is due and nobody holds
/// it, at the database's time `now`.
pub fn due(now: &str) -> String {
    format!(
        "p.enabled = 1 AND f.next_due_at <= {now} \
         AND (f.lease_expires_at IS NULL OR f.lease_expires_at < {now})"
    )
}

/// A subquery over the strings of the JSON array bound as `$1`, for `x IN (…)`.
///
/// Lists of keys go as one JSON parameter rather than one parameter per key: the statement
/// text never changes with the number of keys, so it stays prepared, and no list is ever too
/// long for the backend's parameter limit.
pub fn json_list(backend: Backend) -> &'static str {
    match backend {
        Backend::Sqlite => "SELECT value FROM json_each($1)",
        Backend::Postgres => "SELECT jsonb_array_elements_text($1::jsonb)",
    }
}

/// Case-insensitive `LIKE` (SQLite's `LIKE` is, for ASCII).
pub fn ilike(backend: Backend) -> &'static str {
    match backend {
        Backend::Sqlite => "LIKE",
        Backend::Postgres => "ILIKE",
    }
}

/// The row locks a claim takes so that daemons sharing a database never claim one feed
/// twice (SQLite has one writer: none needed).
pub fn skip_locked(backend: Backend, of: &str) -> String {
    match backend {
        Backend::Postgres => format!("FOR UPDATE OF {of} SKIP LOCKED"),
        Backend::Sqlite => String::new(),
    }
}

/// A row lock held until the transaction ends (SQLite's `BEGIN IMMEDIATE` holds the whole
/// database instead).
pub fn for_update(backend: Backend) -> &'static str {
    match backend {
        Backend::Postgres => " FOR UPDATE",
        Backend::Sqlite => "",
    }
}

/// How a transaction that writes begins: on SQLite with the write lock taken at once, so a
/// transaction that reads first never fails to upgrade; on PostgreSQL as usual (its row
/// locks are taken by the statements).
pub fn begin_write(backend: Backend) -> Option<&'static str> {
    match backend {
        Backend::Sqlite => Some("BEGIN IMMEDIATE"),
        Backend::Postgres => None,
    }
}

/// What each connection is set up with: SQLite's journal, lock wait and foreign keys;
/// PostgreSQL's lock wait. Every wait for a lock ends after `wait_ms`.
pub fn connection_setup(backend: Backend, wait_ms: u128) -> String {
    match backend {
        Backend::Sqlite => format!(
            "PRAGMA journal_mode = WAL; PRAGMA busy_timeout = {wait_ms}; \
             PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;"
        ),
        Backend::Postgres => format!("SET lock_timeout = {wait_ms}"),
    }
}

/// Connections a process opens to the database at most.
pub fn pool_size(backend: Backend) -> u32 {
    match backend {
        Backend::Sqlite => 4,
        Backend::Postgres => 8,
    }
}

/// JSON rows aggregated into one text value: `json_array(columns…)` per row, an array of
/// them for all (an empty array for none).
pub fn json_rows(backend: Backend, columns: &str) -> String {
    match backend {
        Backend::Sqlite => format!("json_group_array(json_array({columns}))"),
        Backend::Postgres => format!("COALESCE(json_agg(json_build_array({columns})), '[]')::text"),
    }
}

/// Rows of `(text, integer, integer)` from the JSON array of arrays bound as `$1`: the
/// source of a multi-row upsert in one statement.
pub fn json_triples(backend: Backend) -> &'static str {
    match backend {
        // `WHERE true` keeps SQLite from reading the upsert's ON as a join constraint.
        Backend::Sqlite => {
            "SELECT value ->> 0, $2, value ->> 1, value ->> 2, $3 FROM json_each($1) WHERE true"
        }
        Backend::Postgres => {
            "SELECT e ->> 0, $2, (e ->> 1)::bigint, (e ->> 2)::bigint, $3 \
             FROM jsonb_array_elements($1::jsonb) AS e"
        }
    }
}
