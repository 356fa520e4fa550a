//! Checks that depend on the environment's field configuration, shared by create and update,
//! and the mapping of a failed save to its response.

use crate::error::ApiError;
use crate::model::fields::FieldSettings;
use crate::model::user::User;
use crate::store::transact::{Guard, TxError};
use serde_json::Value;

use super::view::missing_fields;

/// Validates the values `after` sets that `before` did not have: custom fields in `metadata`
/// against their rules, and the T-shirt size against its options. Values left untouched are not
/// re-judged, so tightening a rule never blocks unrelated updates.
pub fn check_configured_values(fields: &FieldSettings, before: Option<&User>, after: &User) -> Result<(), ApiError> {
    let old_meta = before.and_then(|b| b.profile.metadata.as_ref());
    if let Some(meta) = &after.profile.metadata {
        for field in fields.enabled_custom() {
            let value = meta.get(field.name()).filter(|v| !v.is_null());
            let unchanged = old_meta.and_then(|m| m.get(field.name())) == value;
            if let (Some(value), false) = (value, unchanged) {
                field.check_custom_value(value)?;
            }
        }
    }
    let size = after.profile.t_shirt_size.as_ref();
    if size.is_some() && size != before.and_then(|b| b.profile.t_shirt_size.as_ref()) {
        if let Some(field) = fields.get("tShirtSize") {
            field.check_custom_value(&Value::String(size.map(|s| s.to_string()).unwrap_or_default()))
                .map_err(|_| {
                    ApiError::bad_request("invalid_t_shirt_size", "tShirtSize must be one of the configured sizes.")
                        .field("tShirtSize")
                })?;
        }
    }
    Ok(())
}

/// An update may fill fields but must not empty one the configuration requires.
pub fn check_required_kept(fields: &FieldSettings, before: &User, after: &User) -> Result<(), ApiError> {
    let was_missing = missing_fields(before, fields);
    match missing_fields(after, fields).into_iter().find(|f| !was_missing.iter().any(|m| m.name == f.name)) {
        Some(field) => Err(ApiError::bad_request(
            "required_field",
            format!("{} is required and cannot be removed.", field.name),
        )
        .field(field.name.clone())),
        None => Ok(()),
    }
}

/// The 422 for a unique value another user holds.
pub fn taken(field: &str) -> ApiError {
    match field {
        "email" => ApiError::unprocessable("email_already_exists", "Another user already has this email.").field("email"),
        "username" => {
            ApiError::unprocessable("username_already_exists", "Another user already has this username.").field("username")
        }
        other => ApiError::unprocessable(
            "custom_field_data_not_unique",
            format!("Another user already has this value for {other}."),
        )
        .field(other),
    }
}

/// How a failed save reads to the client, when it is not a case the caller retries.
pub fn save_error(err: TxError) -> ApiError {
    match err {
        TxError::Failed(Guard::Claim(field)) => taken(&field),
        TxError::Failed(Guard::User) => {
            ApiError::unprocessable("user_already_exists", "A user with this id already exists.").field("id")
        }
        TxError::Failed(_) | TxError::Conflict => ApiError::conflict(
            "concurrent_update",
            "The user was changed by another request at the same time; try again.",
        ),
        TxError::Api(e) => e,
    }
}
