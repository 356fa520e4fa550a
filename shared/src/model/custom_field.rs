//! Dynamic's `CustomFieldRequest`: a custom field created or replaced on its own. `key` is the
//! field's stored name (the metadata key its values live under, fixed once created); `name` is
//! what Dynamic calls its display name, kept as the field's `label`. A field's `id` is derived
//! from the environment and the key, so it needs no storage of its own and never names a field
//! of another environment.

use super::field_spec::{FieldKind, FieldSpec, UserAccess, ValidationRules, ValidationType};
use serde::Deserialize;
use uuid::Uuid;

/// The body of a create or a replace. `key`, `userAccess`, `writeOnce` and `searchable` are userfields'
/// extensions; without them a create derives the key from `name` and a replace keeps the
/// field's access.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CustomFieldRequest {
    pub name: String,
    pub enabled: bool,
    pub required: bool,
    pub field_type: ValidationType,
    #[serde(default)]
    pub validation_rules: Option<ValidationRules>,
    pub position: i64,
    #[serde(default)]
    pub key: Option<String>,
    #[serde(default)]
    pub user_access: Option<UserAccess>,
    #[serde(default)]
    pub write_once: Option<bool>,
    #[serde(default)]
    pub searchable: Option<bool>,
}

impl CustomFieldRequest {
    /// The field as the configuration stores it under `key`; what the request leaves out of
    /// our extensions comes from `current` (the field it replaces), else the defaults.
    pub fn to_spec(&self, key: &str, current: Option<&FieldSpec>) -> FieldSpec {
        FieldSpec {
            name: key.to_string(),
            required: self.required,
            enabled: self.enabled,
            // Dynamic's uniqueness is in the rules; parsing reads it from there.
            unique: None,
            verify: true,
            kind: FieldKind::Custom,
            validation_type: Some(self.field_type),
            validation_rules: self.validation_rules.clone(),
            label: (self.name != key).then(|| self.name.clone()),
            position: Some(self.position),
            user_access: self.user_access.or(current.map(|c| c.user_access)).unwrap_or_default(),
            write_once: self.write_once.or(current.map(|c| c.write_once)).unwrap_or(false),
            searchable: self.searchable.or(current.map(|c| c.searchable)).unwrap_or(false),
        }
    }
}

/// The id of `env`'s custom field stored under `key`.
pub fn custom_field_id(env: Uuid, key: &str) -> Uuid {
    Uuid::new_v5(&env, key.as_bytes())
}

