//! The login throttle: after `login_max_failures` failed logins for one account, or from one
//! address, within `login_lockout`, logins are refused until enough of those failures have
//! left the window, whatever the password.

use std::time::Duration;

use super::{AccessSettings, ms};
use crate::store::{Store, StoreError};

/// How long until a login for `account` from `address` is allowed again, or `None` when it
/// is allowed now.
pub(super) async fn retry_after(
    store: &Store,
    settings: &AccessSettings,
    account: &str,
    address: &str,
    now: i64,
) -> Result<Option<Duration>, StoreError> {
    let max = i64::from(settings.login_max_failures.max(1));
    let window = ms(settings.login_lockout);
    let since = now.saturating_sub(window);
    let mut until: Option<i64> = None;
    for failures in [
        store.login_failures_of_account(account, since, max).await?,
        store
            .login_failures_from_address(address, since, max)
            .await?,
    ] {
        // Newest first, `max` of them: logins are allowed again once the oldest of these
        // leaves the window, which leaves fewer than `max` inside it.
        if failures.len() as i64 >= max
            && let Some(&oldest) = failures.last()
        {
            let end = oldest.saturating_add(window);
            until = Some(until.map_or(end, |u| u.max(end)));
        }
    }
    Ok(until.map(|end| whole_seconds(end.saturating_sub(now))))
}

/// A wait in milliseconds, rounded up to whole seconds (what `Retry-After` says), at least 1.
fn whole_seconds(ms: i64) -> Duration {
    let secs = (ms.max(1) as u64).div_ceil(1000);
    Duration::from_secs(secs.max(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_round_up_to_whole_seconds() {
        assert_eq!(whole_seconds(0), Duration::from_secs(1));
        assert_eq!(whole_seconds(1001), Duration::from_secs(2));
        assert_eq!(whole_seconds(900_000), Duration::from_secs(900));
    }
}
