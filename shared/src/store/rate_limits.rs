//! Send counters: one item per (environment, subject, window), bumped by a conditional update so
//! that concurrent requests can never together pass a limit. Windows are fixed (`now / window`);
//! the items expire by TTL once their window is over.

use super::attrs::{key_attrs, number_attr, number_of, Item};
use super::errors::StoreError;
use super::keys;
use super::transact::{Condition, Guard, Tx};
use super::Store;
use uuid::Uuid;

/// At most `max` sends per `window_seconds`, and none within `gap_seconds` of the last one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    pub max: u32,
    pub window_seconds: i64,
    pub gap_seconds: i64,
}

/// One send counted against `limit` for `subject` (such as `email#ada@example.com`).
#[derive(Debug, Clone)]
pub struct Charge {
    pub subject: String,
    pub limit: RateLimit,
}

impl Charge {
    fn window(&self, now_ms: i64) -> i64 {
        now_ms.div_euclid(1000 * self.limit.window_seconds)
    }

    /// When the current window ends, in Unix milliseconds.
    fn window_end_ms(&self, now_ms: i64) -> i64 {
        (self.window(now_ms) + 1) * 1000 * self.limit.window_seconds
    }

    /// Seconds until this charge could pass, given its counter item as stored.
    fn wait_seconds(&self, item: Option<&Item>, now_ms: i64) -> u64 {
        let count = item.and_then(|i| number_of(i, "cnt")).unwrap_or(0);
        let last_ms = item.and_then(|i| number_of(i, "lastMs")).map_or(0, |v| v as i64);
        let until_ms = if count >= u64::from(self.limit.max) {
            self.window_end_ms(now_ms)
        } else {
            last_ms + 1000 * self.limit.gap_seconds
        };
        seconds_until(until_ms, now_ms)
    }
}

/// Rounded up, and at least one second: a client told 0 would come straight back.
fn seconds_until(until_ms: i64, now_ms: i64) -> u64 {
    ((until_ms - now_ms).max(1) as u64).div_ceil(1000)
}

impl Store {
    /// Adds `charge` to `tx`: the transaction fails as [`StoreError::RateLimited`] (with no wait
    /// yet: see [`Store::explain_rate_limit`]) if the counter is full or the gap not over.
    pub(super) fn add_charge(&self, tx: &mut Tx, env: Uuid, charge: &Charge, index: usize, now_ms: i64) {
        let window = charge.window(now_ms);
        let key = key_attrs(&keys::rate(env, &charge.subject, window));
        let condition = Condition::new("attribute_not_exists(cnt) OR (cnt < :max AND lastMs <= :gapCutoff)")
            .with(":max", number_attr(charge.limit.max))
            .with(":gapCutoff", number_attr(now_ms - 1000 * charge.limit.gap_seconds))
            .with(":now", number_attr(now_ms))
            .with(":one", number_attr(1))
            .with(":ttl", number_attr((window + 1) * charge.limit.window_seconds + 60))
            .name("#ttl", "ttl");
        tx.update(&self.table, key, "SET lastMs = :now, #ttl = :ttl ADD cnt :one", condition, Guard::Rate(index));
    }

    /// Adds to `tx` a check that `charge`'s counter could take one more, without counting:
    /// a right code is refused while the address's wrong codes are at their limit.
    pub(super) fn check_room(&self, tx: &mut Tx, env: Uuid, charge: &Charge, now_ms: i64) {
        let window = charge.window(now_ms);
        let key = key_attrs(&keys::rate(env, &charge.subject, window));
        let condition = Condition::new("attribute_not_exists(cnt) OR cnt < :max").with(":max", number_attr(charge.limit.max));
        tx.check(&self.table, key, condition, Guard::Room(seconds_until(charge.window_end_ms(now_ms), now_ms)));
    }

    /// Counts one send against every charge, all or none; refused as [`StoreError::RateLimited`]
    /// with the wait of the first full counter.
    pub async fn charge(&self, env: Uuid, charges: &[Charge], now_ms: i64) -> Result<(), StoreError> {
        let mut tx = Tx::default();
        for (i, charge) in charges.iter().enumerate() {
            self.add_charge(&mut tx, env, charge, i, now_ms);
        }
        let result = self.run(tx).await;
        self.explain_rate_limit(env, charges, now_ms, result).await
    }

    /// Fills in how long to wait when `result` is a refused charge (one read, only on refusal).
    pub(super) async fn explain_rate_limit(
        &self,
        env: Uuid,
        charges: &[Charge],
        now_ms: i64,
        result: Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        let Err(StoreError::RateLimited { index, .. }) = result else { return result };
        let charge = &charges[index];
        let item = self.get_item(&keys::rate(env, &charge.subject, charge.window(now_ms))).await?;
        Err(StoreError::RateLimited { index, retry_after_seconds: charge.wait_seconds(item.as_ref(), now_ms) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wait_is_the_gap_or_the_rest_of_the_window() {
        let charge = Charge { subject: "email#a@b.c".into(), limit: RateLimit { max: 5, window_seconds: 3600, gap_seconds: 30 } };
        let now = 7200 * 1000 + 10_000; // 10 s into a window
        let mut item = Item::new();
        item.insert("cnt".into(), number_attr(1));
        item.insert("lastMs".into(), number_attr(now - 1_000));
        assert_eq!(charge.wait_seconds(Some(&item), now), 29);
        item.insert("cnt".into(), number_attr(5));
        assert_eq!(charge.wait_seconds(Some(&item), now), 3590);
        assert_eq!(charge.wait_seconds(None, now), 1);
    }
}
