//! The pause before a retry, for both retry loops (the store's, after a lost race; the AWS calls',
//! after a throttle): full jitter under an exponential cap, so retrying callers spread out instead
//! of colliding again.

use rand::Rng;
use std::time::Duration;

/// A random pause in `0..min(base × 2^retry, max)`, before retry `retry` (0 for the first).
pub fn full_jitter(base: Duration, max: Duration, retry: u32) -> Duration {
    let cap = base.saturating_mul(1 << retry.min(16)).min(max);
    cap.mul_f64(rand::rng().random_range(0.0..1.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cap_doubles_up_to_the_maximum() {
        let (base, max) = (Duration::from_millis(10), Duration::from_millis(160));
        for _ in 0..100 {
            assert!(full_jitter(base, max, 0) < base);
            assert!(full_jitter(base, max, 1) < base * 2);
            assert!(full_jitter(base, max, 40) < max);
        }
    }
}
