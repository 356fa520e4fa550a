//! The configured rules a user's values must meet on create and update, beyond each value's own
//! type: custom fields in `metadata`, the operator's options (and patterns) on pre-made fields,
//! and required fields an update must not empty. Refusals are `Rejection`s (no HTTP here).

use super::field_settings::FieldSettings;
use super::rejection::Rejection;
use super::patch::Patch;
use super::profile_fields::{premade, ProfilePatch};
use super::user::User;
use super::values::{Email, Timestamp};

/// Takes the credential lists out of `patch` and applies them: a list replaces that set (a
/// credential that stays keeps its id), `null` or `[]` clears it, absent keeps it.
pub fn apply_credentials(patch: &mut ProfilePatch, user: &mut User, now: Timestamp) {
    match std::mem::take(&mut patch.wallets) {
        Patch::Set(wallets) => user.replace_wallets(&wallets, now),
        Patch::Clear => user.replace_wallets(&[], now),
        Patch::Keep => {}
    }
    match std::mem::take(&mut patch.oauth_accounts) {
        Patch::Set(accounts) => user.replace_oauth_accounts(&accounts, now),
        Patch::Clear => user.replace_oauth_accounts(&[], now),
        Patch::Keep => {}
    }
}

/// Validates the values `after` sets that `before` did not have. Values left untouched are not
/// re-judged, so tightening a rule never blocks unrelated updates.
pub fn check_configured_values(fields: &FieldSettings, before: Option<&User>, after: &User) -> Result<(), Rejection> {
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
    for field in fields.fields().iter().filter(|f| !f.is_custom() && (!f.options().is_empty() || f.regex.is_some())) {
        let Some(catalog) = premade(field.name()) else { continue };
        let value = after.profile.premade_value(field.name());
        let unchanged = before.map(|b| b.profile.premade_value(field.name())) == Some(value.clone());
        if let (Some(value), false) = (value, unchanged) {
            field.check_value(&value, catalog.invalid_code)?;
        }
    }
    Ok(())
}

/// An update may fill fields but must not empty one the configuration requires.
pub fn check_required_kept(fields: &FieldSettings, before: &User, after: &User) -> Result<(), Rejection> {
    let was_missing = fields.missing(&before.profile);
    match fields.missing(&after.profile).into_iter().find(|f| !was_missing.iter().any(|m| m.name == f.name)) {
        Some(field) => Err(Rejection::invalid("required_field", format!("{} is required and cannot be removed.", field.name))
            .field(field.name.clone())),
        None => Ok(()),
    }
}

/// The operator's rules on the email field (options, pattern) for an address on its own, as a
/// sign-in judges it before any code goes out.
pub fn check_email_rules(fields: &FieldSettings, email: &Email) -> Result<(), Rejection> {
    let Some(field) = fields.get("email").filter(|f| !f.options().is_empty() || f.regex.is_some()) else { return Ok(()) };
    let code = premade("email").map_or("invalid_email", |f| f.invalid_code);
    field.check_value(&serde_json::Value::String(email.as_str().to_string()), code).map(|_| ())
}
