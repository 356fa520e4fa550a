//! Dynamic's `CustomField` (its admin API's `CustomFieldsApi`): a custom field of the field
//! configuration seen on its own (the request side is `model::custom_field`).

use crate::model::custom_field::custom_field_id;
use crate::model::field_settings::Field;
use crate::model::field_spec::{UserAccess, ValidationRules, ValidationType};
use serde::Serialize;
use uuid::Uuid;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CustomField<'a> {
    id: Uuid,
    key: &'a str,
    name: &'a str,
    enabled: bool,
    required: bool,
    field_type: ValidationType,
    #[serde(skip_serializing_if = "Option::is_none")]
    validation_rules: Option<&'a ValidationRules>,
    position: i64,
    user_access: UserAccess,
    write_once: bool,
    searchable: bool,
}

impl<'a> CustomField<'a> {
    pub fn new(env: Uuid, field: &'a Field) -> Self {
        let spec = &field.spec;
        Self {
            id: custom_field_id(env, &spec.name),
            key: &spec.name,
            name: spec.label.as_deref().unwrap_or(&spec.name),
            enabled: spec.enabled,
            required: spec.required,
            field_type: field.validation_type,
            validation_rules: spec.validation_rules.as_ref(),
            position: spec.position.unwrap_or_default(),
            user_access: spec.user_access,
            write_once: spec.write_once,
            searchable: spec.searchable,
        }
    }
}
