//! What a proposed field configuration would change for the users there are, before it is saved:
//! the dashboard's "lastName becomes required: 1,204 users will be asked for it at their next
//! sign-in". Pure counting; `ops::field_impact` feeds it the users page by page.

use super::field_settings::{Field, FieldSettings};
use super::profile_fields::Profile;
use serde::Serialize;
use serde_json::Value;
use std::collections::HashMap;

/// How a field changes between the current and the proposed configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Change {
    /// Collected and required now, not before: `users` lack it and will be asked for it.
    BecomesRequired,
    /// A custom field turned unique: `users` hold a value another user holds too (any at all
    /// and the save is refused with `cannot_switch_to_unique`).
    BecomesUnique,
    /// No longer collected (turned off or removed): `users` hold a value, which is kept but no
    /// longer asked for or shown to them.
    StopsBeingCollected,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FieldImpact {
    pub name: String,
    pub change: Change,
    pub users: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Impact {
    /// Users counted.
    pub users: usize,
    /// Set when the environment holds more users than are counted: the figures are of the first.
    pub truncated: bool,
    /// Users who will be asked for something at their next sign-in that they are not asked now.
    pub newly_asked: usize,
    pub fields: Vec<FieldImpact>,
}

/// The counts, one user at a time.
pub struct Tally<'a> {
    required: Vec<(&'a Field, usize)>,
    unique: Vec<(&'a Field, HashMap<String, usize>)>,
    dropped: Vec<(&'a Field, usize)>,
    users: usize,
    newly_asked: usize,
}

impl<'a> Tally<'a> {
    pub fn new(current: &'a FieldSettings, proposed: &'a FieldSettings) -> Self {
        let collected = |settings: &FieldSettings, name: &str| settings.get(name).is_some_and(|f| f.spec.enabled);
        let required = proposed
            .fields()
            .iter()
            .filter(|f| f.spec.enabled && f.spec.required)
            .filter(|f| !current.get(f.name()).is_some_and(|c| c.spec.enabled && c.spec.required))
            .map(|f| (f, 0))
            .collect();
        let unique = proposed
            .enabled_custom()
            .filter(|f| f.is_unique())
            .filter(|f| !current.get(f.name()).is_some_and(|c| c.spec.enabled && c.is_unique()))
            .map(|f| (f, HashMap::new()))
            .collect();
        let dropped = current
            .fields()
            .iter()
            .filter(|f| f.spec.enabled && !collected(proposed, f.name()))
            .map(|f| (f, 0))
            .collect();
        Self { required, unique, dropped, users: 0, newly_asked: 0 }
    }

    pub fn add(&mut self, profile: &Profile) {
        self.users += 1;
        let mut asked = false;
        for (field, count) in &mut self.required {
            if !field.is_filled(value_of(field, profile).as_ref()) {
                *count += 1;
                asked = true;
            }
        }
        self.newly_asked += usize::from(asked);
        for (field, values) in &mut self.unique {
            if let Some(claim) = value_of(field, profile).and_then(|v| field.claim_value(&v)) {
                *values.entry(claim).or_default() += 1;
            }
        }
        for (field, count) in &mut self.dropped {
            *count += usize::from(field.is_filled(value_of(field, profile).as_ref()));
        }
    }

    pub fn finish(self, truncated: bool) -> Impact {
        let mut fields: Vec<FieldImpact> = self
            .required
            .into_iter()
            .map(|(f, users)| impact(f, Change::BecomesRequired, users))
            .collect();
        fields.extend(self.unique.into_iter().map(|(f, values)| {
            let sharing = values.values().filter(|n| **n > 1).sum();
            impact(f, Change::BecomesUnique, sharing)
        }));
        fields.extend(self.dropped.into_iter().map(|(f, users)| impact(f, Change::StopsBeingCollected, users)));
        Impact { users: self.users, truncated, newly_asked: self.newly_asked, fields }
    }
}

fn impact(field: &Field, change: Change, users: usize) -> FieldImpact {
    FieldImpact { name: field.name().to_string(), change, users }
}

fn value_of(field: &Field, profile: &Profile) -> Option<Value> {
    if field.is_custom() {
        profile.metadata.as_ref().and_then(|m| m.get(field.name())).filter(|v| !v.is_null()).cloned()
    } else {
        profile.premade_value(field.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::field_spec::FieldSpec;
    use serde_json::json;

    fn settings(fields: Value) -> FieldSettings {
        FieldSettings::parse(serde_json::from_value::<Vec<FieldSpec>>(fields).unwrap()).unwrap()
    }

    fn profile(value: Value) -> Profile {
        serde_json::from_value(value).unwrap()
    }

    #[test]
    fn counts_the_users_a_newly_required_field_will_ask() {
        let current = settings(json!([{"name": "email", "type": "standard", "required": true}, {"name": "lastName", "type": "standard"}]));
        let proposed = settings(json!([{"name": "email", "type": "standard", "required": true}, {"name": "lastName", "type": "standard", "required": true}]));
        let mut tally = Tally::new(&current, &proposed);
        tally.add(&profile(json!({"email": "a@example.com"})));
        tally.add(&profile(json!({"email": "b@example.com", "lastName": "Lovelace"})));
        tally.add(&profile(json!({})));
        let impact = tally.finish(false);
        assert_eq!(impact.users, 3);
        assert_eq!(impact.newly_asked, 2);
        assert_eq!(impact.fields, vec![FieldImpact { name: "lastName".into(), change: Change::BecomesRequired, users: 2 }]);
    }

    #[test]
    fn an_unchanged_configuration_changes_nothing() {
        let current = settings(json!([{"name": "email", "type": "standard", "required": true}, {"name": "firstName", "type": "standard", "required": true}]));
        let mut tally = Tally::new(&current, &current);
        tally.add(&profile(json!({})));
        let impact = tally.finish(false);
        assert_eq!((impact.newly_asked, impact.fields.len()), (0, 0));
    }

    #[test]
    fn counts_users_sharing_a_value_of_a_field_turned_unique_and_values_no_longer_collected() {
        let current = settings(json!([{"name": "squad", "type": "custom"}, {"name": "jobTitle", "type": "standard"}]));
        let proposed = settings(json!([{"name": "squad", "type": "custom", "unique": true}, {"name": "jobTitle", "type": "standard", "enabled": false}]));
        let mut tally = Tally::new(&current, &proposed);
        tally.add(&profile(json!({"metadata": {"squad": "Red"}, "jobTitle": "Engineer"})));
        tally.add(&profile(json!({"metadata": {"squad": "red"}})));
        tally.add(&profile(json!({"metadata": {"squad": "Blue"}})));
        let impact = tally.finish(false);
        assert_eq!(
            impact.fields,
            vec![
                FieldImpact { name: "squad".into(), change: Change::BecomesUnique, users: 2 },
                FieldImpact { name: "jobTitle".into(), change: Change::StopsBeingCollected, users: 1 },
            ]
        );
    }

    #[test]
    fn an_unticked_checkbox_is_asked_again() {
        let current = settings(json!([{"name": "terms", "type": "custom", "validationType": "checkbox"}]));
        let proposed = settings(json!([{"name": "terms", "type": "custom", "validationType": "checkbox", "required": true}]));
        let mut tally = Tally::new(&current, &proposed);
        tally.add(&profile(json!({"metadata": {"terms": false}})));
        tally.add(&profile(json!({"metadata": {"terms": true}})));
        assert_eq!(tally.finish(false).fields[0].users, 1);
    }
}
