//! The run log's daily partitions on PostgreSQL (migration 0013): each day's partition is
//! created a week ahead, and the retention drops whole days instead of deleting their rows
//! (at 100,000 pages a day is tens of millions of runs, more than batched deletes keep up
//! with). Runs of a day without a partition land in `feed_runs_default`, pruned by rows.
//! SQLite's run log is one table: nothing here applies to it.

use chrono::DateTime;
use sqlx::Row;
use tracing::{info, warn};

use super::{Backend, Store, StoreError, dynamic};

/// A day, in milliseconds.
const DAY_MS: i64 = 86_400_000;
/// Partitions kept ready, from today on.
const DAYS_AHEAD: i64 = 7;
/// The name every partition of a day starts with, followed by its date (`YYYYMMDD`, UTC).
const PREFIX: &str = "feed_runs_p";
/// Serialises partition changes between daemons sharing the database.
const PARTITION_LOCK: i64 = 0x6961_7273_7275_6e73; // "iarsruns"

/// A day's partition: its name and the first millisecond of the day.
#[derive(Clone, Debug, PartialEq, Eq)]
struct DayPartition {
    name: String,
    start: i64,
}

impl DayPartition {
    /// The partition of the day that contains `ms`.
    fn of(ms: i64) -> DayPartition {
        let start = ms.div_euclid(DAY_MS) * DAY_MS;
        let date = DateTime::from_timestamp_millis(start)
            .map(|d| d.format("%Y%m%d").to_string())
            .unwrap_or_default();
        DayPartition {
            name: format!("{PREFIX}{date}"),
            start,
        }
    }

    /// The partition a table name stands for, if it is one.
    fn parse(name: &str) -> Option<DayPartition> {
        let date = name.strip_prefix(PREFIX)?;
        let day = chrono::NaiveDate::parse_from_str(date, "%Y%m%d").ok()?;
        let start = day.and_hms_opt(0, 0, 0)?.and_utc().timestamp_millis();
        Some(DayPartition {
            name: name.to_string(),
            start,
        })
    }

    fn end(&self) -> i64 {
        self.start + DAY_MS
    }
}

impl Store {
    /// Creates the run log's missing partitions from today to a week ahead (PostgreSQL), and
    /// returns how many it created. Runs that landed in the default partition for a day
    /// now given its own move into it. A change that would wait on busy tables more than a
    /// few seconds gives up for now: the default partition keeps the runs meanwhile.
    pub async fn ensure_run_partitions(&self) -> Result<u64, StoreError> {
        if self.backend != Backend::Postgres {
            return Ok(0);
        }
        let today = super::now_ms();
        let wanted: Vec<DayPartition> = (0..=DAYS_AHEAD)
            .map(|d| DayPartition::of(today + d * DAY_MS))
            .collect();
        let existing = self.run_partitions().await?;
        let missing: Vec<&DayPartition> = wanted.iter().filter(|p| !existing.contains(p)).collect();
        let mut created = 0;
        for partition in missing {
            match self.create_run_partition(partition).await {
                Ok(true) => created += 1,
                Ok(false) => {}
                Err(e) => {
                    warn!(partition = %partition.name, error = %e, "creating a partition of the run log failed; its runs go to the default partition meanwhile");
                }
            }
        }
        if created > 0 {
            info!(created, "run log partitions created");
        }
        Ok(created)
    }

    /// Drops the partitions whose whole day started before `cutoff` (ms), and returns how
    /// many it dropped (PostgreSQL; none on SQLite).
    pub(crate) async fn drop_run_partitions(&self, cutoff: i64) -> Result<u64, StoreError> {
        if self.backend != Backend::Postgres {
            return Ok(0);
        }
        let mut dropped = 0;
        for partition in self.run_partitions().await? {
            if partition.end() > cutoff {
                continue;
            }
            let mut tx = self.pool.begin().await?;
            dynamic("SET LOCAL lock_timeout = '5s'".to_string())
                .execute(&mut *tx)
                .await?;
            // The name is one this module made from a date: no quoting is needed.
            dynamic(format!("DROP TABLE IF EXISTS {}", partition.name))
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            dropped += 1;
        }
        Ok(dropped)
    }

    /// The day partitions the run log has.
    async fn run_partitions(&self) -> Result<Vec<DayPartition>, StoreError> {
        let rows = dynamic(
            "SELECT c.relname::text AS name FROM pg_inherits i \
             JOIN pg_class c ON c.oid = i.inhrelid \
             WHERE i.inhparent = 'feed_runs'::regclass"
                .to_string(),
        )
        .fetch_all(&self.pool)
        .await?;
        let mut partitions = Vec::new();
        for row in rows {
            let name: String = row.try_get("name")?;
            if let Some(p) = DayPartition::parse(&name) {
                partitions.push(p);
            }
        }
        Ok(partitions)
    }

    /// Creates one day's partition, moving that day's runs out of the default partition;
    /// `false` when another daemon made it first.
    async fn create_run_partition(&self, partition: &DayPartition) -> Result<bool, StoreError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(PARTITION_LOCK)
            .execute(&mut *tx)
            .await?;
        let exists: bool = sqlx::query("SELECT to_regclass($1) IS NOT NULL AS e")
            .bind(partition.name.clone())
            .fetch_one(&mut *tx)
            .await?
            .try_get("e")?;
        if exists {
            return Ok(false);
        }
        let (name, start, end) = (&partition.name, partition.start, partition.end());
        for sql in [
            "SET LOCAL lock_timeout = '5s'".to_string(),
            format!(
                "CREATE TABLE {name} (LIKE feed_runs INCLUDING DEFAULTS INCLUDING CONSTRAINTS)"
            ),
            format!(
                "INSERT INTO {name} SELECT * FROM feed_runs_default \
                 WHERE started_at >= {start} AND started_at < {end}"
            ),
            format!(
                "DELETE FROM feed_runs_default WHERE started_at >= {start} AND started_at < {end}"
            ),
            format!(
                "ALTER TABLE feed_runs ATTACH PARTITION {name} FOR VALUES FROM ({start}) TO ({end})"
            ),
        ] {
            dynamic(sql).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_day_is_named_by_its_utc_date() {
        // 2026-12-07T23:59:59.999Z and the next millisecond.
        let last = 1_796_687_999_999;
        assert_eq!(DayPartition::of(last).name, "feed_runs_p20261207");
        assert_eq!(DayPartition::of(last + 1).name, "feed_runs_p20261208");
        let day = DayPartition::of(last);
        assert_eq!(day.end(), last + 1);
        assert_eq!(DayPartition::parse(&day.name), Some(day));
        assert_eq!(DayPartition::parse("feed_runs_default"), None);
        assert_eq!(DayPartition::parse("feed_runs_p2026120"), None);
    }
}
