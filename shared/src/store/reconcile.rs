//! Finds and repairs claims out of step with the users' claims records: orphaned claim items
//! (held for a value no user records), missing ones (recorded but absent), values recorded for a
//! field the configuration no longer makes unique (deleted, disabled or not unique now), and user
//! items from before claims were recorded. Used by `userfields reconcile-claims`; a dry run by
//! default.

use super::attrs::{key_attrs, string_attr, string_of, Item};
use super::dynamodb::Search;
use super::errors::StoreError;
use super::keys::{self, SK_CLAIM, SK_PROFILE};
use super::transact::{Condition, Guard, Tx};
use super::users::parse_user;
use super::Store;
use crate::model::claims::Claims;
use crate::model::field_settings::FieldSettings;
use crate::model::user::User;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use uuid::Uuid;

/// A claim item as found: the value of a field and who it names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ClaimRef {
    pub field: String,
    pub value: String,
    pub user_id: Uuid,
}

#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    pub users: usize,
    pub claims: usize,
    /// Claim items no user records as held: deleted on repair.
    pub orphaned: Vec<ClaimRef>,
    /// Values users record as held that have no claim item: claimed on repair.
    pub missing: Vec<ClaimRef>,
    /// Values users record that the configuration no longer makes unique: released on repair
    /// (their records first, then their claim items, reported as orphaned), as the users' next
    /// saves would.
    pub stale: Vec<ClaimRef>,
    /// Users whose item predates claims records: given one on repair.
    pub unrecorded: Vec<Uuid>,
    /// One value recorded by two users: reported only, an operator must decide.
    pub conflicts: Vec<(ClaimRef, Uuid)>,
    /// Keys of items that did not read.
    pub unreadable: Vec<String>,
    pub repaired: bool,
}

impl Report {
    pub fn is_clean(&self) -> bool {
        self.orphaned.is_empty() && self.missing.is_empty() && self.stale.is_empty() && self.unrecorded.is_empty() && self.conflicts.is_empty()
    }
}

/// Works out the repairs from what the table holds (pure, so it is tested without a table).
pub fn plan(users: &[User], claims: &[ClaimRef], fields: &FieldSettings) -> Report {
    let mut report = Report { users: users.len(), claims: claims.len(), ..Report::default() };
    let mut recorded: BTreeMap<(String, String), Uuid> = BTreeMap::new();
    // Values two users record are left alone: which of them keeps it is an operator's call.
    let mut conflicted = BTreeSet::new();
    for user in users {
        let record = match &user.held_claims {
            Some(record) => {
                let kept = still_unique(record, user, fields);
                let (stale, _) = record.moves(&kept);
                report.stale.extend(stale.into_iter().map(|(field, value)| ClaimRef { field: field.into(), value: value.into(), user_id: user.id }));
                kept
            }
            None => {
                report.unrecorded.push(user.id);
                user.required_claims(fields)
            }
        };
        for (field, value) in record.iter() {
            let key = (field.to_string(), value.to_string());
            if let Some(other) = recorded.insert(key.clone(), user.id) {
                conflicted.insert(key);
                let claim = ClaimRef { field: field.into(), value: value.into(), user_id: user.id };
                report.conflicts.push((claim, other));
            }
        }
    }
    let mut present: BTreeMap<(String, String), Uuid> = BTreeMap::new();
    for claim in claims {
        let key = (claim.field.clone(), claim.value.clone());
        if conflicted.contains(&key) {
            continue;
        }
        if recorded.get(&key) == Some(&claim.user_id) {
            present.insert(key, claim.user_id);
        } else {
            report.orphaned.push(claim.clone());
        }
    }
    for ((field, value), user_id) in recorded {
        let key = (field, value);
        if !present.contains_key(&key) && !conflicted.contains(&key) {
            let (field, value) = key;
            report.missing.push(ClaimRef { field, value, user_id });
        }
    }
    report
}

/// What of `record` the configuration still makes unique for `user`.
fn still_unique(record: &Claims, user: &User, fields: &FieldSettings) -> Claims {
    let required = user.required_claims(fields);
    Claims::from_pairs(record.iter().filter(|(f, v)| required.contains(f, v)).map(|(f, v)| (f.to_string(), v.to_string())))
}

impl Store {
    /// Reads every user and claim item of `env` (a Scan: this is an operator's repair tool, not
    /// a request path), plans the repairs and, with `repair`, carries them out.
    pub async fn reconcile_claims(&self, env: Uuid, fields: &FieldSettings, repair: bool) -> Result<Report, StoreError> {
        let (users, claims, unreadable) = self.scan_environment(env).await?;
        let mut report = plan(&users, &claims, fields);
        report.unreadable = unreadable;
        if repair && !report.is_clean() {
            self.repair(env, &users, &report, fields).await?;
            report.repaired = true;
        }
        Ok(report)
    }

    async fn scan_environment(&self, env: Uuid) -> Result<(Vec<User>, Vec<ClaimRef>, Vec<String>), StoreError> {
        let prefix = format!("ENV#{env}#");
        let claim_prefix = format!("ENV#{env}#UNIQUE#");
        let scan = Search {
            table_name: &self.table,
            filter_expression: Some("begins_with(pk, :prefix)"),
            expression_attribute_values: Item::from([(":prefix".to_string(), string_attr(prefix))]),
            consistent_read: true,
            ..Search::default()
        };
        let (mut users, mut claims, mut unreadable) = (Vec::new(), Vec::new(), Vec::new());
        for item in self.search_all("Scan", scan).await? {
            let pk = string_of(&item, "pk").unwrap_or_default().to_string();
            match string_of(&item, "sk") {
                Some(SK_PROFILE) => match parse_user(item) {
                    Ok(user) => users.push(user),
                    Err(_) => unreadable.push(pk),
                },
                Some(SK_CLAIM) => {
                    let field = string_of(&item, "field").unwrap_or_default().to_string();
                    let value = pk.strip_prefix(&claim_prefix).and_then(|rest| rest.strip_prefix(&format!("{field}#")));
                    let holder = string_of(&item, "userId").and_then(|u| Uuid::parse_str(u).ok());
                    match (value, holder) {
                        (Some(value), Some(user_id)) => claims.push(ClaimRef { field, value: value.into(), user_id }),
                        _ => unreadable.push(pk),
                    }
                }
                _ => {}
            }
        }
        Ok((users, claims, unreadable))
    }

    /// Stale records go first (so no save meanwhile releases what is deleted next), then orphans,
    /// so a value they held can then be claimed by the user who records it.
    async fn repair(&self, env: Uuid, users: &[User], report: &Report, fields: &FieldSettings) -> Result<(), StoreError> {
        let stale: BTreeSet<Uuid> = report.stale.iter().map(|c| c.user_id).collect();
        for user in users.iter().filter(|u| stale.contains(&u.id)) {
            let Some(record) = &user.held_claims else { continue };
            let mut tx = Tx::default();
            self.set_claims_record(&mut tx, env, user.id, user.version, Some(&still_unique(record, user, fields)));
            self.run(tx).await?;
        }
        for claim in &report.orphaned {
            let mut tx = Tx::default();
            let condition = Condition::new("userId = :uid").with(":uid", string_attr(claim.user_id.to_string()));
            let key = key_attrs(&keys::claim(env, &claim.field, &claim.value));
            tx.delete(&self.table, key, Some(condition), Guard::Release(claim.field.clone()));
            self.run(tx).await?;
        }
        for user in users.iter().filter(|u| report.unrecorded.contains(&u.id)) {
            let mut tx = Tx::default();
            self.set_claims_record(&mut tx, env, user.id, user.version, Some(&user.required_claims(fields)));
            self.run(tx).await?;
        }
        for claim in &report.missing {
            let mut tx = Tx::default();
            self.take_claim(&mut tx, env, &claim.field, &claim.value, claim.user_id);
            self.run(tx).await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::claims::Claims;
    use crate::model::values::{Email, Timestamp};

    fn user(email: &str, record: Option<&[(&str, &str)]>) -> User {
        let mut user = User::new(Uuid::new_v4(), Uuid::nil(), Timestamp::now());
        user.profile.email = Some(Email::parse(email).unwrap());
        user.version = 1;
        user.held_claims = record.map(|r| {
                let mut claims = Claims::default();
                r.iter().for_each(|(f, v)| claims.insert(f, v.to_string()));
                claims
            });
        user
    }

    #[test]
    fn finds_orphans_missing_claims_unrecorded_users_and_conflicts() {
        let fields = badge_unique();
        let mut a = user("a@x.co", Some(&[("email", "a@x.co"), ("badge", "blue")]));
        let b = user("b@x.co", None);
        let mut c = user("c@x.co", Some(&[("email", "c@x.co"), ("badge", "blue")]));
        for u in [&mut a, &mut c] {
            u.profile.metadata = serde_json::json!({"badge": "blue"}).as_object().cloned();
        }
        let claim = |field: &str, value: &str, u: &User| ClaimRef { field: field.into(), value: value.into(), user_id: u.id };
        let claims = [claim("email", "a@x.co", &a), claim("badge", "red", &a), claim("badge", "blue", &a)];
        let report = plan(&[a.clone(), b.clone(), c.clone()], &claims, &fields);
        assert_eq!(report.orphaned, [claim("badge", "red", &a)]);
        assert_eq!(report.unrecorded, [b.id]);
        let missing: Vec<_> = report.missing.iter().map(|m| (m.value.as_str(), m.user_id)).collect();
        assert!(missing.contains(&("b@x.co", b.id)) && missing.contains(&("c@x.co", c.id)), "{missing:?}");
        assert_eq!(report.conflicts.len(), 1);
        assert!(report.stale.is_empty());
        assert!(!report.is_clean());
    }

    #[test]
    fn a_value_of_a_field_no_longer_unique_is_released() {
        let fields = badge_unique();
        let mut a = user("a@x.co", Some(&[("email", "a@x.co"), ("badge", "blue"), ("retired", "7")]));
        a.profile.metadata = serde_json::json!({"badge": "blue", "retired": "7"}).as_object().cloned();
        let claim = |field: &str, value: &str| ClaimRef { field: field.into(), value: value.into(), user_id: a.id };
        let claims = [claim("email", "a@x.co"), claim("badge", "blue"), claim("retired", "7")];
        let report = plan(std::slice::from_ref(&a), &claims, &fields);
        assert_eq!(report.stale, [claim("retired", "7")], "its field is gone from the configuration");
        assert_eq!(report.orphaned, [claim("retired", "7")], "so its claim item is released");
        assert!(report.missing.is_empty() && report.conflicts.is_empty());
        let clean = plan(std::slice::from_ref(&a), &claims[..2], &badge_unique());
        assert_eq!(clean.stale.len(), 1, "the record still names it until repaired");
    }

    fn badge_unique() -> FieldSettings {
        let specs: Vec<crate::model::field_spec::FieldSpec> =
            serde_json::from_value(serde_json::json!([{"name": "badge", "type": "custom", "unique": true}])).unwrap();
        FieldSettings::parse(specs).unwrap()
    }
}
