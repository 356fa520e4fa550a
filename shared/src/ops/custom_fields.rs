//! A custom field created, replaced or deleted on its own (Dynamic's `CustomFieldsApi`): an edit
//! of the one field configuration, saved through the settings PUT's operation with its checks
//! (a field made unique claims the values users hold; `cannot_switch_to_unique`; regex limits).
//!
//! Deleting a field takes it out of the configuration only. Values users hold under its key stay
//! in their metadata as the operator's private metadata (never shown to end users, still in the
//! operator's API and exports); a unique field's claims are released as each holder is next
//! written (the claims record each user keeps says which to release).

use crate::context::AppContext;
use crate::error::{ApiError, ApiResult};
use crate::model::custom_field::{custom_field_id, CustomFieldRequest};
use crate::model::field_settings::{custom_field_key, Field, FieldSettings};
use crate::model::field_spec::{FieldKind, FieldSpec};
use crate::ops::save_field_settings::{edit_field_settings, MAX_USERS_ONLINE};
use std::sync::Arc;
use uuid::Uuid;

/// A saved field and the configuration it is now part of.
pub struct SavedField {
    pub settings: Arc<FieldSettings>,
    pub key: String,
}

impl SavedField {
    pub fn field(&self) -> Option<&Field> {
        self.settings.get(&self.key)
    }
}

/// `env`'s custom field with this id.
pub fn find(settings: &FieldSettings, env: Uuid, id: Uuid) -> Option<&Field> {
    settings.fields().iter().find(|f| f.is_custom() && custom_field_id(env, f.name()) == id)
}

pub async fn create(ctx: &AppContext, env: Uuid, request: &CustomFieldRequest) -> ApiResult<SavedField> {
    let key = match &request.key {
        Some(key) => key.clone(),
        None => custom_field_key(&request.name).ok_or_else(|| {
            ApiError::bad_request(
                "invalid_field_name",
                "name makes no valid key (a letter, then letters, digits or '_', and not a pre-made field); give one as key.",
            )
            .field("name")
        })?,
    };
    let (_, (), settings) = edit_field_settings(ctx, env, Some(MAX_USERS_ONLINE), |specs| {
        if specs.iter().any(|s| s.name.eq_ignore_ascii_case(&key)) {
            return Err(ApiError::conflict("field_exists", format!("A field {key} exists.")).field("key"));
        }
        specs.push(request.to_spec(&key, None));
        Ok(())
    })
    .await?;
    Ok(SavedField { settings, key })
}

pub async fn replace(ctx: &AppContext, env: Uuid, id: Uuid, request: &CustomFieldRequest) -> ApiResult<SavedField> {
    if request.key.is_some() {
        return Err(ApiError::bad_request("key_fixed", "A field's key cannot change: its users' values are stored under it.").field("key"));
    }
    let (_, key, settings) = edit_field_settings(ctx, env, Some(MAX_USERS_ONLINE), |specs| {
        let spec = custom_spec(specs, env, id)?;
        let key = spec.name.clone();
        *spec = request.to_spec(&key, Some(spec));
        Ok(key)
    })
    .await?;
    Ok(SavedField { settings, key })
}

pub async fn delete(ctx: &AppContext, env: Uuid, id: Uuid) -> ApiResult<()> {
    edit_field_settings(ctx, env, Some(MAX_USERS_ONLINE), |specs| {
        let key = custom_spec(specs, env, id)?.name.clone();
        specs.retain(|s| s.name != key);
        Ok(())
    })
    .await?;
    Ok(())
}

fn custom_spec(specs: &mut [FieldSpec], env: Uuid, id: Uuid) -> ApiResult<&mut FieldSpec> {
    specs
        .iter_mut()
        .find(|s| s.kind == FieldKind::Custom && custom_field_id(env, &s.name) == id)
        .ok_or_else(|| ApiError::not_found("Custom field"))
}
