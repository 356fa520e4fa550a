//! The unique values a user holds. A user item records them, so a save releases exactly what it
//! held (whatever the configuration says today) and claims what the configuration asks now.

use super::field_rules::FieldSettings;
use super::user::User;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// (claim field, normalised value) pairs: a field may hold several values (two ETH wallets).
/// Stored as a list of `[field, value]` pairs.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Claims(BTreeSet<(String, String)>);

impl Claims {
    /// What `user` must hold under `fields`: its always-unique pre-made values, the values of
    /// enabled unique custom fields, and its wallets (per chain) and OAuth accounts (per provider).
    pub fn required(user: &User, fields: &FieldSettings) -> Self {
        let profile = &user.profile;
        let mut claims: BTreeSet<(String, String)> =
            profile.premade_claims().into_iter().map(|(field, value)| (field.to_string(), value)).collect();
        if let Some(metadata) = &profile.metadata {
            for field in fields.enabled_custom().filter(|f| f.is_unique()) {
                let value = metadata.get(field.name()).filter(|v| !v.is_null());
                if let Some(claim) = value.and_then(|v| field.claim_value(v)) {
                    claims.insert((field.name().to_string(), claim));
                }
            }
        }
        claims.extend(user.verified_credentials.iter().filter_map(|c| c.claim()));
        Self(claims)
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

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
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
    use crate::model::field_spec::FieldSpec;
    use serde_json::json;

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

    #[test]
    fn required_claims_follow_the_configuration_but_not_its_regex() {
        let specs: Vec<FieldSpec> = serde_json::from_value(json!([
            {"name": "badge", "type": "custom", "unique": true, "validationRules": {"regex": "^[a-z]+$"}},
            {"name": "off", "type": "custom", "unique": true, "enabled": false}
        ]))
        .unwrap();
        let fields = FieldSettings::parse(specs).unwrap();
        let mut user = User::new(uuid::Uuid::nil(), uuid::Uuid::nil(), crate::model::values::Timestamp::now());
        user.profile.metadata = json!({"badge": "RED 1", "off": "x"}).as_object().cloned();
        let claims = Claims::required(&user, &fields);
        assert_eq!(claims.iter().collect::<Vec<_>>(), [("badge", "red 1")]);
    }
}
