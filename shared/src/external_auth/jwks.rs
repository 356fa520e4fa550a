//! Issuers' key sets, fetched over HTTPS (addresses checked and pinned as webhook targets are),
//! cached per container for as long as the answer's `Cache-Control` says (within bounds), and
//! fetched again on a `kid` the cached set lacks, at most once a minute: a rotation at the
//! issuer is picked up at once, and a flood of made-up `kid`s costs one fetch a minute.

use crate::events::send;
use crate::model::webhook::WebhookUrl;
use jsonwebtoken::jwk::Jwk;
use serde_json::Value;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const FETCH_TIMEOUT: Duration = Duration::from_secs(3);
const MAX_JWKS_BYTES: usize = 64 * 1024;
/// Without `max-age`, and the bounds of one.
const DEFAULT_MAX_AGE: Duration = Duration::from_secs(300);
const MIN_MAX_AGE: Duration = Duration::from_secs(60);
const MAX_MAX_AGE: Duration = Duration::from_secs(86_400);
/// The least time between two fetches of one set.
pub const REFETCH_GAP: Duration = Duration::from_secs(60);

struct Entry {
    keys: Arc<Vec<Jwk>>,
    fetched_at: Instant,
    fresh_until: Instant,
}

pub struct JwksCache {
    entries: Mutex<HashMap<String, Entry>>,
    refetch_gap: Duration,
}

impl Default for JwksCache {
    fn default() -> Self {
        Self::with_refetch_gap(REFETCH_GAP)
    }
}

/// Why no key set could be had (the issuer is down or answers nonsense).
#[derive(Debug)]
pub struct Unavailable(pub String);

impl JwksCache {
    /// A cache refetching on an unknown `kid` at most once per `gap` (tests shorten it).
    pub fn with_refetch_gap(gap: Duration) -> Self {
        Self { entries: Mutex::default(), refetch_gap: gap }
    }

    /// The key `kid` names (or the set's only key when the token names none); `None` when the
    /// issuer does not publish it.
    pub async fn key(&self, url: &str, kid: Option<&str>, allow_loopback: bool) -> Result<Option<Jwk>, Unavailable> {
        let now = Instant::now();
        let cached = self.cached(url);
        if let Some((keys, fetched_at, fresh_until)) = &cached {
            let found = pick(keys, kid).filter(|_| now < *fresh_until);
            let may_refetch = now >= *fresh_until || now.duration_since(*fetched_at) >= self.refetch_gap;
            if found.is_some() || !may_refetch {
                return Ok(found);
            }
        }
        let keys = self.fetch(url, allow_loopback).await;
        match (keys, cached) {
            (Ok(keys), _) => Ok(pick(&keys, kid)),
            // A set fetched before still serves while the issuer is down, and the next try
            // waits a gap (each sign-in would otherwise wait out the timeout).
            (Err(_), Some((keys, _, _))) => {
                self.remember(url, keys.clone(), now + self.refetch_gap);
                Ok(pick(&keys, kid))
            }
            (Err(e), None) => Err(e),
        }
    }

    fn cached(&self, url: &str) -> Option<(Arc<Vec<Jwk>>, Instant, Instant)> {
        let entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        entries.get(url).map(|e| (e.keys.clone(), e.fetched_at, e.fresh_until))
    }

    async fn fetch(&self, url: &str, allow_loopback: bool) -> Result<Arc<Vec<Jwk>>, Unavailable> {
        let target = WebhookUrl::parse_named(url, allow_loopback, "invalid_jwks_url", "jwksUrl").map_err(|e| Unavailable(e.message))?;
        let fetched = send::get(&target, allow_loopback, MAX_JWKS_BYTES, FETCH_TIMEOUT).await.map_err(Unavailable)?;
        if fetched.status != 200 {
            return Err(Unavailable(format!("the issuer's JWKS answered {}", fetched.status)));
        }
        let set: Value = serde_json::from_slice(&fetched.body).map_err(|_| Unavailable("the issuer's JWKS is not JSON".into()))?;
        let Some(listed) = set.get("keys").and_then(Value::as_array) else {
            return Err(Unavailable("the issuer's JWKS has no keys".into()));
        };
        // A key of a type this service does not verify with is skipped, not fatal.
        let keys: Vec<Jwk> = listed.iter().filter_map(|k| serde_json::from_value(k.clone()).ok()).collect();
        let keys = Arc::new(keys);
        let now = Instant::now();
        let max_age = max_age(fetched.cache_control.as_deref()).clamp(MIN_MAX_AGE, MAX_MAX_AGE);
        self.remember(url, keys.clone(), now + max_age);
        Ok(keys)
    }

    fn remember(&self, url: &str, keys: Arc<Vec<Jwk>>, fresh_until: Instant) {
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        entries.insert(url.to_string(), Entry { keys, fetched_at: Instant::now(), fresh_until });
    }
}

fn pick(keys: &[Jwk], kid: Option<&str>) -> Option<Jwk> {
    match kid {
        Some(kid) => keys.iter().find(|k| k.common.key_id.as_deref() == Some(kid)).cloned(),
        None if keys.len() == 1 => keys.first().cloned(),
        None => None,
    }
}

/// `max-age` of a `Cache-Control` value; `no-store` and `no-cache` as 0 (the floor applies).
fn max_age(header: Option<&str>) -> Duration {
    let Some(header) = header else { return DEFAULT_MAX_AGE };
    let mut age = None;
    for directive in header.split(',').map(str::trim) {
        let lower = directive.to_ascii_lowercase();
        if lower == "no-store" || lower == "no-cache" {
            return Duration::ZERO;
        }
        if let Some(seconds) = lower.strip_prefix("max-age=") {
            age = seconds.trim_matches('"').parse::<u64>().ok().map(Duration::from_secs);
        }
    }
    age.unwrap_or(DEFAULT_MAX_AGE)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn max_age_reads_cache_control() {
        assert_eq!(max_age(Some("public, max-age=3600")), Duration::from_secs(3600));
        assert_eq!(max_age(Some("no-store")), Duration::ZERO);
        assert_eq!(max_age(Some("public")), DEFAULT_MAX_AGE);
        assert_eq!(max_age(None), DEFAULT_MAX_AGE);
        assert_eq!(max_age(Some("max-age=oops")), DEFAULT_MAX_AGE);
    }
}
