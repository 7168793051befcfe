//! Everything that differs between the two backends, or that the store's statements and
//! the scheduler must agree on, in one place: SQL fragments in each backend's dialect, the
//! database's clock, the condition that makes a feed due, the backoff threshold, how
//! connections and write transactions are set up, and the error codes the store reads.
//!
//! Every other statement of the store is written once, in what both backends understand
//! alike: `$N` parameters, `ON CONFLICT … DO UPDATE` with `excluded`, `RETURNING`,
//! `CAST(… AS BIGINT)`, `IS NOT DISTINCT FROM`. What one of them spells differently comes
//! from a function here, so no other module of the store matches on [`Backend`].

use sqlx::migrate::Migrator;

use super::Backend;

/// Failed runs in a row from which a feed's next fetch backs off (docs/ingestion.md:
/// "after N ≥ 3 consecutive failed runs").
pub const BACKOFF_AFTER_FAILURES: i64 = 3;

/// Whether a feed that failed `failures` runs in a row waits longer than its cadence: what
/// the scheduler applies, the `iarss_feeds_in_backoff` gauge counts and every view shows.
pub fn backs_off(failures: i64) -> bool {
    failures >= BACKOFF_AFTER_FAILURES
}

/// The condition, on feeds `f`, that a feed is in backoff: [`backs_off`] in SQL.
pub fn in_backoff() -> String {
    format!("f.consecutive_failures >= {BACKOFF_AFTER_FAILURES}")
}

/// The database's clock in milliseconds since the epoch, as an SQL expression: leases and
/// due times are compared with the database's clock, which every daemon shares.
///
/// On PostgreSQL it is a scalar subquery, read once when the statement starts (SQLite reads
/// its clock once per statement anyway): `clock_timestamp()` is volatile, so written as a
/// plain expression it was called again for every row a condition tested and could not
/// bound an index scan. The claim scanned the due-time index row by row and the due-time fit
/// the whole table, 0.69 and 0.34 ms of PostgreSQL's time per 304 at 100,000 pages.
pub fn now_ms(backend: Backend) -> &'static str {
    match backend {
        Backend::Sqlite => "CAST(unixepoch('subsec') * 1000 AS BIGINT)",
        Backend::Postgres => {
            "(SELECT CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000 AS BIGINT))"
        }
    }
}

/// The condition, on feeds `f` of pages `p`, that a feed is due: its page is enabled, its
/// due time has come and nobody holds it, by the database's clock. The scheduler claims
/// these feeds and the due backlog counts them.
pub fn due(backend: Backend) -> String {
    let now = now_ms(backend);
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

/// The condition that `column` is one of the strings of the JSON array bound as `$1`, read
/// as one index look-up per string: PostgreSQL plans `= ANY(ARRAY(…))` so, whereas it reads
/// `IN (SELECT …)` of a JSON list as a semi-join over the whole table.
pub fn in_json_list(backend: Backend, column: &str) -> String {
    let list = json_list(backend);
    match backend {
        Backend::Sqlite => format!("{column} IN ({list})"),
        Backend::Postgres => format!("{column} = ANY(ARRAY({list}))"),
    }
}

/// A table with one row per element of the JSON array bound as `$1`, the element in the
/// column `value`: `value ->> N` is its `N`th item as text (as an integer on SQLite;
/// `CAST(… AS BIGINT)` makes it one on both). The source of multi-row statements that
/// take their rows as one JSON parameter.
pub fn json_elements(backend: Backend) -> &'static str {
    match backend {
        Backend::Sqlite => "json_each($1)",
        Backend::Postgres => "jsonb_array_elements($1::jsonb)",
    }
}

/// The values of `expr` over the rows aggregated into one JSON array, as text (an empty
/// array for no row).
pub fn json_agg(backend: Backend, expr: &str) -> String {
    match backend {
        Backend::Sqlite => format!("json_group_array({expr})"),
        Backend::Postgres => format!("COALESCE(json_agg({expr}), '[]')::text"),
    }
}

/// JSON rows aggregated into one text value: an array of `columns…` per row, an array of
/// them for all (an empty array for none).
pub fn json_rows(backend: Backend, columns: &str) -> String {
    let row = match backend {
        Backend::Sqlite => format!("json_array({columns})"),
        Backend::Postgres => format!("json_build_array({columns})"),
    };
    json_agg(backend, &row)
}

/// Case-insensitive `LIKE` (SQLite's `LIKE` is, for ASCII).
pub fn ilike(backend: Backend) -> &'static str {
    match backend {
        Backend::Sqlite => "LIKE",
        Backend::Postgres => "ILIKE",
    }
}

/// Whether a `WITH` may hold an `UPDATE … RETURNING` whose rows the statement goes on to
/// join (PostgreSQL); SQLite's may not, and its `RETURNING` names the updated table only.
pub fn joins_returned_rows(backend: Backend) -> bool {
    matches!(backend, Backend::Postgres)
}

/// The row locks a claim takes on the rows of table `of`, so that daemons sharing a
/// database never claim one feed twice (SQLite has one writer: none needed).
pub fn skip_locked(backend: Backend, of: &str) -> String {
    match backend {
        Backend::Postgres => format!("FOR UPDATE OF {of} SKIP LOCKED"),
        Backend::Sqlite => String::new(),
    }
}

/// A row lock held until the transaction ends, to append to a `SELECT` (SQLite's
/// `BEGIN IMMEDIATE` holds the whole database instead).
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

/// The queue of this process in which a writer of `page_id` waits its turn: the page's own
/// on PostgreSQL, whose writers lock their page's row; one for the whole database on
/// SQLite, which has one writer.
pub fn writer_queue(backend: Backend, page_id: &str) -> &str {
    match backend {
        Backend::Sqlite => "",
        Backend::Postgres => page_id,
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

/// A statement that proves a new connection reached a database: SQLite opens any file, and
/// only reading its schema tells a database from another file. PostgreSQL needs none.
pub fn open_check(backend: Backend) -> Option<&'static str> {
    match backend {
        Backend::Sqlite => Some("SELECT count(*) FROM sqlite_master"),
        Backend::Postgres => None,
    }
}

/// Connections a process opens to the database at most.
pub fn pool_size(backend: Backend) -> u32 {
    match backend {
        Backend::Sqlite => 4,
        Backend::Postgres => 8,
    }
}

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("migrations/postgres");

/// The backend's migrations (`migrations/sqlite`, `migrations/postgres`, same numbers).
pub fn migrations(backend: Backend) -> &'static Migrator {
    match backend {
        Backend::Sqlite => &SQLITE_MIGRATIONS,
        Backend::Postgres => &POSTGRES_MIGRATIONS,
    }
}

/// Whether an error's code says that the file opened is no database (SQLite's
/// `SQLITE_NOTADB`).
pub fn is_not_a_database(code: &str) -> bool {
    code == "26"
}

/// Whether an error's code says that a lock was not had in time: PostgreSQL's
/// `lock_not_available` (`lock_timeout`), SQLite's `SQLITE_BUSY` (`busy_timeout`).
pub fn is_lock_timeout(code: &str) -> bool {
    code == "55P03" || sqlite_primary_code(code).is_some_and(|c| c == 5)
}

/// Whether an error's code says that the transaction lost to a concurrent one and would
/// pass when tried again: PostgreSQL's `serialization_failure` and `deadlock_detected`,
/// SQLite's `SQLITE_BUSY` and `SQLITE_LOCKED`.
pub fn is_write_conflict(code: &str) -> bool {
    matches!(code, "40001" | "40P01")
        || sqlite_primary_code(code).is_some_and(|c| matches!(c, 5 | 6))
}

/// The primary result code in a SQLite error code: an extended code keeps it in its low
/// byte.
fn sqlite_primary_code(code: &str) -> Option<i32> {
    code.parse::<i32>().ok().map(|c| c & 0xff)
}
