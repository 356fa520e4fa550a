//! The unique values a user holds. A user item records them, so a save releases exactly what it
//! held (whatever the configuration says today) and claims what the configuration asks now.

use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// (claim field, normalised value) pairs: a field may hold several values (two ETH wallets).
/// Stored as a list of `[field, value]` pairs.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Claims(BTreeSet<(String, String)>);

impl Claims {
    pub fn from_pairs(pairs: impl IntoIterator<Item = (String, String)>) -> Self {
        Self(pairs.into_iter().collect())
    }

    pub fn contains(&self, field: &str, value: &str) -> bool {
        self.0.contains(&(field.to_string(), value.to_string()))
    }

    pub fn insert(&mut self, field: &str, value: String) {
        self.0.insert((field.to_string(), value));
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(f, v)| (f.as_str(), v.as_str()))
    }

    /// What going from `self` to `next` releases and takes, as (field, value) pairs.
    pub fn moves<'a>(&'a self, next: &'a Claims) -> (Vec<(&'a str, &'a str)>, Vec<(&'a str, &'a str)>) {
        let released = self.iter().filter(|(f, v)| !next.contains(f, v)).collect();
        let taken = next.iter().filter(|(f, v)| !self.contains(f, v)).collect();
        (released, taken)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moves_release_what_was_held_and_take_what_is_new() {
        let mut old = Claims::default();
        old.insert("email", "a@b.co".into());
        old.insert("badge", "red".into());
        let mut new = Claims::default();
        new.insert("email", "a@b.co".into());
        new.insert("badge", "blue".into());
        let (released, taken) = old.moves(&new);
        assert_eq!(released, [("badge", "red")]);
        assert_eq!(taken, [("badge", "blue")]);
    }
}
