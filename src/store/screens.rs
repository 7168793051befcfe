//! The screen before: lists are keyset-paged forward (a cursor names where the next screen
//! starts), and a "Previous" link needs the cursor of the screen before the one shown. Each
//! function here reads, from the first key shown, up to one screen and one key backwards
//! through the list's own index: the key one past that screen is its cursor.
//!
//! Each answers `None` when nothing comes before, `Some(None)` when the screen before is the
//! list's first (no cursor), else `Some(Some(cursor key))`.

use sqlx::Row;

use super::{Store, StoreError, dynamic};

/// What a read backwards found: `keys` nearest the screen first, `limit` per screen.
fn screen_before<K>(mut keys: Vec<K>, limit: i64) -> Option<Option<K>> {
    let limit = usize::try_from(limit.max(1)).unwrap_or(usize::MAX);
    if keys.is_empty() {
        None
    } else if keys.len() <= limit {
        Some(None)
    } else {
        Some(Some(keys.swap_remove(limit)))
    }
}

impl Store {
    /// The screen of a page's runs (newest first, `limit` a screen) before the one whose
    /// newest run is `first`: its cursor is the id its runs are below.
    pub async fn runs_screen_before(
        &self,
        page_id: &str,
        first: i64,
        limit: i64,
    ) -> Result<Option<Option<i64>>, StoreError> {
        let rows = sqlx::query(
            "SELECT id FROM feed_runs WHERE page_id = $1 AND id > $2 ORDER BY id LIMIT $3",
        )
        .bind(page_id)
        .bind(first)
        .bind(limit + 1)
        .fetch_all(&self.pool)
        .await?;
        let ids = rows
            .iter()
            .map(|r| r.try_get::<i64, _>("id"))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(screen_before(ids, limit))
    }

    /// The screen of pages (by id, `limit` a screen, of `ids` when given, with a failing feed
    /// when `failing_only`) before the one that starts at page `first`: its cursor is the id
    /// its pages come after.
    pub async fn pages_screen_before(
        &self,
        ids: Option<&[String]>,
        first: &str,
        limit: i64,
        failing_only: bool,
    ) -> Result<Option<Option<String>>, StoreError> {
        let sql = format!(
            "SELECT p.id FROM pages p WHERE p.id < $2 {scoped} {failing} ORDER BY p.id DESC LIMIT $3",
            failing = if failing_only {
                "AND p.id IN (SELECT f.page_id FROM feeds f \
                  WHERE f.consecutive_failures > 0 OR f.last_error IS NOT NULL)"
            } else {
                ""
            },
            scoped = match ids {
                Some(_) => format!("AND {}", super::dialect::in_json_list(self.backend, "p.id")),
                None => "AND CAST($1 AS TEXT) IS NULL".to_string(),
            },
        );
        let rows = dynamic(sql)
            .bind(ids.map(super::json_param).transpose()?)
            .bind(first)
            .bind(limit + 1)
            .fetch_all(&self.pool)
            .await?;
        let keys = rows
            .iter()
            .map(|r| r.try_get::<String, _>("id"))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(screen_before(keys, limit))
    }
}

#[cfg(test)]
mod tests {
    use super::screen_before;

    #[test]
    fn the_key_one_past_a_screen_is_its_cursor() {
        assert_eq!(screen_before::<i64>(vec![], 2), None);
        assert_eq!(screen_before(vec![5, 6], 2), Some(None));
        assert_eq!(screen_before(vec![5, 6, 7], 2), Some(Some(7)));
    }
}
