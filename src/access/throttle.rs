//! The login limits (docs/configuration.md, `[web]`): every attempt is counted before its
//! password is checked, in the statement that reads the counts
//! ([`Store::count_login_attempt`]), so concurrent guesses cannot pass a limit.
//!
//! - **Account and address**: more than `login_max_failures` attempts for one account from
//!   one address within `login_lockout` answer 429 until the window has passed. Only that
//!   address is refused: the account's owner elsewhere signs in as usual.
//! - **Address**: more than [`ADDRESS_FACTOR`] × `login_max_failures` attempts from one
//!   address over all accounts answer 429 as well.
//! - **Account**: an account guessed at from many addresses (more than [`ACCOUNT_FACTOR`] ×
//!   `login_max_failures` attempts within the window) is slowed — [`SLOW_CHECK`] before
//!   each of its password checks — but never locked, so no one can lock its owner out.
//!
//! A successful login takes its own attempt back and forgets the account's failures.

use std::time::Duration;

use super::{AccessSettings, ms};
use crate::store::{LimitCount, LoginAttempts, Store, StoreError};

/// Attempts from one address over all accounts, as a multiple of `login_max_failures`
/// (20 with the default 5).
pub const ADDRESS_FACTOR: i64 = 4;
/// Attempts for one account over all addresses after which its checks are slowed, as a
/// multiple of `login_max_failures` (50 with the default 5).
pub const ACCOUNT_FACTOR: i64 = 10;
/// The wait before each password check of a slowed account.
pub const SLOW_CHECK: Duration = Duration::from_secs(1);

/// What the limits say of one attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Verdict {
    /// Check the password, after waiting this long (zero unless the account is slowed).
    Check(Duration),
    /// Refuse without checking; allowed again after this long.
    Refuse(Duration),
}

/// Counts the attempt of `account` from `address` at `now` and says what to do with it.
pub(super) async fn count(
    store: &Store,
    settings: &AccessSettings,
    account: &str,
    address: &str,
    now: i64,
) -> Result<Verdict, StoreError> {
    let window = ms(settings.login_lockout);
    let counted = store
        .count_login_attempt(account, address, now, now.saturating_sub(window))
        .await?;
    Ok(decide(settings, &counted, now))
}

/// The verdict of counts that include this attempt.
pub(super) fn decide(settings: &AccessSettings, counted: &LoginAttempts, now: i64) -> Verdict {
    let max = i64::from(settings.login_max_failures.max(1));
    let window = ms(settings.login_lockout);
    let over = |c: &LimitCount, limit: i64| {
        (c.attempts > limit).then(|| c.window_start.saturating_add(window))
    };
    let until = [
        over(&counted.pair, max),
        over(&counted.address, max.saturating_mul(ADDRESS_FACTOR)),
    ]
    .into_iter()
    .flatten()
    .max();
    if let Some(end) = until {
        return Verdict::Refuse(whole_seconds(end.saturating_sub(now)));
    }
    if counted.account.attempts > max.saturating_mul(ACCOUNT_FACTOR) {
        return Verdict::Check(SLOW_CHECK);
    }
    Verdict::Check(Duration::ZERO)
}

/// A wait in milliseconds, rounded up to whole seconds (what `Retry-After` says), at least 1.
fn whole_seconds(ms: i64) -> Duration {
    let secs = (ms.max(1) as u64).div_ceil(1000);
    Duration::from_secs(secs.max(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_700_000_000_000;

    fn attempts(pair: i64, address: i64, account: i64) -> LoginAttempts {
        let at = |attempts| LimitCount {
            attempts,
            window_start: NOW - 60_000,
        };
        LoginAttempts {
            pair: at(pair),
            address: at(address),
            account: at(account),
        }
    }

    #[test]
    fn waits_round_up_to_whole_seconds() {
        assert_eq!(whole_seconds(0), Duration::from_secs(1));
        assert_eq!(whole_seconds(1001), Duration::from_secs(2));
        assert_eq!(whole_seconds(900_000), Duration::from_secs(900));
    }

    #[test]
    fn the_pair_and_the_address_refuse_and_the_account_only_slows() {
        let s = AccessSettings::default();
        let check = Verdict::Check(Duration::ZERO);
        assert_eq!(decide(&s, &attempts(5, 5, 5), NOW), check);
        // The sixth attempt of a pair within the window: refused until it has passed
        // (15 min from its start, one minute ago).
        assert_eq!(
            decide(&s, &attempts(6, 6, 6), NOW),
            Verdict::Refuse(Duration::from_secs(14 * 60))
        );
        assert_eq!(decide(&s, &attempts(1, 20, 1), NOW), check);
        assert!(matches!(
            decide(&s, &attempts(1, 21, 1), NOW),
            Verdict::Refuse(_)
        ));
        // Many addresses at one account: slowed, never refused.
        assert_eq!(decide(&s, &attempts(1, 1, 50), NOW), check);
        assert_eq!(
            decide(&s, &attempts(1, 1, 5000), NOW),
            Verdict::Check(SLOW_CHECK)
        );
    }
}
