//! The one retry policy: an attempt that failed only on timing (a concurrent transaction, a user
//! or configuration changed since read) is tried again after a short jittered pause, so racing
//! writers spread out instead of colliding again. Used as a loop guard:
//!
//! ```ignore
//! let mut backoff = Backoff::new(TRIES);
//! let out = loop {
//!     match attempt().await {
//!         Err(e) if backoff.retry(&e).await => continue,
//!         other => break other,
//!     }
//! };
//! ```
//! (A loop rather than a helper taking an async closure: futures of such closures do not prove
//! `Send` on today's compiler, and Lambda needs `Send` futures.)

use std::time::Duration;

pub trait Retryable {
    fn is_retryable(&self) -> bool;
}

impl Retryable for super::StoreError {
    fn is_retryable(&self) -> bool {
        super::StoreError::is_retryable(self)
    }
}

pub struct Backoff {
    tries: usize,
    failed: usize,
}

impl Backoff {
    /// At most `tries` attempts in all.
    pub fn new(tries: usize) -> Self {
        Self { tries, failed: 0 }
    }

    /// After a failed attempt: `true` (once the pause is over) if it is worth another.
    pub async fn retry(&mut self, err: &impl Retryable) -> bool {
        self.failed += 1;
        if !err.is_retryable() || self.failed >= self.tries {
            return false;
        }
        tokio::time::sleep(pause(self.failed - 1)).await;
        true
    }
}

/// Full jitter over an exponential cap: 0..10 ms, 0..20 ms, ... at most 160 ms.
fn pause(retry: usize) -> Duration {
    crate::jitter::full_jitter(Duration::from_millis(10), Duration::from_millis(160), retry as u32)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::StoreError;

    async fn run(tries: usize, outcomes: &[Result<u8, StoreError>]) -> (Result<u8, StoreError>, usize) {
        let mut backoff = Backoff::new(tries);
        let mut calls = 0;
        let out = loop {
            let outcome = outcomes[calls.min(outcomes.len() - 1)].clone();
            calls += 1;
            match outcome {
                Err(e) if backoff.retry(&e).await => continue,
                other => break other,
            }
        };
        (out, calls)
    }

    #[tokio::test]
    async fn retries_timing_failures_only_and_stops_at_the_limit() {
        assert_eq!(run(3, &[Err(StoreError::Conflict)]).await, (Err(StoreError::Conflict), 3));
        let taken = Err(StoreError::Taken("email".into()));
        assert_eq!(run(3, &[taken.clone()]).await, (taken, 1));
        let ok_third = [Err(StoreError::UserChanged), Err(StoreError::FieldsChanged), Ok(7)];
        assert_eq!(run(3, &ok_third).await, (Ok(7), 3));
    }
}
