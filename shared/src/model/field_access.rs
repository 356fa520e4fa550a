//! Who owns which field. The operator reads and writes everything; an end user sees and changes
//! a field by its `userAccess` (`edit`, `view`, `hidden`) and `writeOnce`. A `metadata` key that
//! is not a configured custom field is the operator's alone: never shown to an end user, never
//! changed by one. SECURITY.md has the table.

use super::field_settings::{Field, FieldSettings};
use super::field_spec::{FieldSpec, UserAccess};
use super::metadata::check_metadata;
use super::patch::Patch;
use super::profile_fields::PREMADE_FIELDS;
use super::rejection::Rejection;
use super::user::User;
use serde_json::{Map, Value};

/// Whether an end user may see the value of pre-made field `name` (a field the configuration
/// does not list is shown, as before fields had an access).
pub fn premade_visible(fields: &FieldSettings, name: &str) -> bool {
    fields.get(name).is_none_or(|f| f.spec.user_access != UserAccess::Hidden)
}

/// Whether an end user may change `field`'s value at all (`writeOnce` aside).
fn editable(field: &Field) -> bool {
    field.spec.enabled && field.spec.user_access == UserAccess::Edit
}

/// Whether an end user may see metadata key `key`: only a configured custom field that is not
/// hidden.
fn metadata_visible(fields: &FieldSettings, key: &str) -> bool {
    fields.get(key).is_some_and(|f| f.is_custom() && f.spec.user_access != UserAccess::Hidden)
}

/// The custom field an end user may write under `key`.
fn editable_custom<'a>(fields: &'a FieldSettings, key: &str) -> Option<&'a Field> {
    fields.get(key).filter(|f| f.is_custom() && editable(f))
}

/// `user` as an end user may see it: hidden pre-made values and operator-private metadata left
/// out.
pub fn end_user_copy(user: &User, fields: &FieldSettings) -> User {
    let mut copy = user.clone();
    for premade in PREMADE_FIELDS.iter().filter(|p| !premade_visible(fields, p.name)) {
        copy.profile.clear_premade(premade.name);
    }
    if let Some(metadata) = copy.profile.metadata.as_mut() {
        metadata.retain(|key, _| metadata_visible(fields, key));
        if metadata.is_empty() {
            copy.profile.metadata = None;
        }
    }
    copy
}

/// The fields an end user's profile form may show: the enabled ones it may see, in order.
pub fn form_fields(fields: &FieldSettings) -> Vec<&FieldSpec> {
    fields.fields().iter().filter(|f| f.spec.enabled && f.spec.user_access != UserAccess::Hidden).map(|f| &f.spec).collect()
}

/// The missing fields an end user is told of: hidden ones are never named.
pub fn end_user_missing<'a>(fields: &'a FieldSettings, user: &User) -> Vec<&'a FieldSpec> {
    told_missing(fields.missing(&user.profile))
}

/// Of the missing fields `missing`, those an end user is told of.
pub fn told_missing(mut missing: Vec<&FieldSpec>) -> Vec<&FieldSpec> {
    missing.retain(|f| f.user_access != UserAccess::Hidden);
    missing
}

fn not_allowed(name: &str) -> Rejection {
    Rejection::invalid("field_not_allowed", format!("{name} cannot be set here.")).field(name)
}

fn write_once(name: &str) -> Rejection {
    Rejection::invalid("field_write_once", format!("{name} cannot be changed once set.")).field(name)
}

/// An end user's `metadata` as the whole map to store: the keys it names are set (`null`
/// clears one), every other key stays as it is; `metadata: null` clears the keys the end user
/// may edit and nothing else. A key the end user may not edit is refused.
pub fn end_user_metadata(patch: Patch<Map<String, Value>>, before: &User, fields: &FieldSettings) -> Result<Patch<Map<String, Value>>, Rejection> {
    let mut merged = before.profile.metadata.clone().unwrap_or_default();
    match patch {
        Patch::Keep => return Ok(Patch::Keep),
        Patch::Clear => merged.retain(|key, _| editable_custom(fields, key).is_none()),
        Patch::Set(changes) => {
            for (key, value) in changes {
                if editable_custom(fields, &key).is_none() {
                    return Err(not_allowed(&format!("metadata.{key}")));
                }
                match value {
                    Value::Null => merged.remove(&key),
                    value => merged.insert(key, value),
                };
            }
        }
    }
    if merged.is_empty() {
        return Ok(if before.profile.metadata.is_some() { Patch::Clear } else { Patch::Keep });
    }
    let merged = check_metadata(merged).map_err(|e| Rejection::invalid(e.code, format!("metadata {}.", e.message)).field("metadata"))?;
    Ok(Patch::Set(merged))
}

/// Refuses a change an end user may not make to pre-made field or custom field `name`: one not
/// enabled or not `edit` (`field_not_allowed`), or a `writeOnce` one that holds a value
/// (`field_write_once`).
pub fn check_end_user_change(fields: &FieldSettings, name: &str, had_value: bool, custom: bool) -> Result<(), Rejection> {
    let shown = if custom { format!("metadata.{name}") } else { name.to_string() };
    let field = fields.get(name).filter(|f| f.is_custom() == custom && editable(f));
    match field {
        None => Err(not_allowed(&shown)),
        Some(f) if f.spec.write_once && had_value => Err(write_once(&shown)),
        Some(_) => Ok(()),
    }
}

/// Every value `after` changes against `before`, judged as an end user's change. The email's own
/// change (which waits for its code) is judged by the caller, since it is not applied here.
pub fn check_end_user_changes(fields: &FieldSettings, before: &User, after: &User) -> Result<(), Rejection> {
    for premade in PREMADE_FIELDS {
        let old = before.profile.premade_value(premade.name);
        if old != after.profile.premade_value(premade.name) {
            check_end_user_change(fields, premade.name, old.is_some(), false)?;
        }
    }
    let empty = Map::new();
    let old = before.profile.metadata.as_ref().unwrap_or(&empty);
    let new = after.profile.metadata.as_ref().unwrap_or(&empty);
    for key in old.keys().chain(new.keys()) {
        let had = old.get(key).filter(|v| !v.is_null());
        if had != new.get(key).filter(|v| !v.is_null()) {
            check_end_user_change(fields, key, had.is_some(), true)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::values::{Text, Timestamp};
    use serde_json::json;

    fn settings(value: Value) -> FieldSettings {
        FieldSettings::parse(serde_json::from_value(value).unwrap()).unwrap()
    }

    fn user(metadata: Value) -> User {
        let mut user = User::new(uuid::Uuid::nil(), uuid::Uuid::nil(), Timestamp::now());
        user.profile.metadata = metadata.as_object().cloned();
        user.profile.first_name = Some(Text::parse("Ada").unwrap());
        user.profile.last_name = Some(Text::parse("Lovelace").unwrap());
        user
    }

    fn fields() -> FieldSettings {
        settings(json!([
            {"name": "firstName", "type": "standard", "writeOnce": true},
            {"name": "lastName", "type": "standard", "userAccess": "hidden", "required": true},
            {"name": "jobTitle", "type": "standard", "userAccess": "view", "required": true},
            {"name": "badge", "type": "custom"},
            {"name": "tier", "type": "custom", "userAccess": "view"},
            {"name": "risk", "type": "custom", "userAccess": "hidden"}
        ]))
    }

    #[test]
    fn an_end_user_sees_neither_hidden_fields_nor_private_metadata() {
        let seen = end_user_copy(&user(json!({"badge": "a", "tier": "gold", "risk": 9, "secretRole": "admin"})), &fields());
        assert_eq!(seen.profile.metadata, json!({"badge": "a", "tier": "gold"}).as_object().cloned());
        assert!(seen.profile.last_name.is_none() && seen.profile.first_name.is_some());
        let only_private = end_user_copy(&user(json!({"secretRole": "admin"})), &fields());
        assert_eq!(only_private.profile.metadata, None);
        let fields = fields();
        let blank = User::new(uuid::Uuid::nil(), uuid::Uuid::nil(), Timestamp::now());
        let missing: Vec<_> = end_user_missing(&fields, &blank).into_iter().map(|f| f.name.as_str()).collect();
        assert_eq!(missing, ["jobTitle"], "a hidden required field is never named");
    }

    #[test]
    fn an_end_user_metadata_write_touches_only_editable_keys() {
        let before = user(json!({"badge": "a", "tier": "gold", "secretRole": "admin"}));
        let merged = |patch| end_user_metadata(patch, &before, &fields());
        assert_eq!(merged(Patch::Set(Map::new())).unwrap(), Patch::Set(before.profile.metadata.clone().unwrap()));
        let cleared = merged(Patch::Clear).unwrap();
        assert_eq!(cleared, Patch::Set(json!({"tier": "gold", "secretRole": "admin"}).as_object().cloned().unwrap()));
        let set = merged(Patch::Set(json!({"badge": null}).as_object().cloned().unwrap())).unwrap();
        assert_eq!(set, cleared);
        for key in ["tier", "risk", "secretRole"] {
            let err = merged(Patch::Set(json!({ key: 1 }).as_object().cloned().unwrap())).unwrap_err();
            assert_eq!((err.code, err.payload["field"].clone()), ("field_not_allowed", json!(format!("metadata.{key}"))));
        }
    }

    #[test]
    fn write_once_and_view_fields_refuse_an_end_user_change() {
        let before = user(json!({}));
        let mut after = before.clone();
        after.profile.first_name = Some(Text::parse("Eve").unwrap());
        assert_eq!(check_end_user_changes(&fields(), &before, &after).unwrap_err().code, "field_write_once");
        let mut after = before.clone();
        after.profile.job_title = Some(Text::parse("CEO").unwrap());
        assert_eq!(check_end_user_changes(&fields(), &before, &after).unwrap_err().code, "field_not_allowed");
        let mut fresh = before.clone();
        fresh.profile.first_name = None;
        let mut after = fresh.clone();
        after.profile.first_name = Some(Text::parse("Ada").unwrap());
        assert!(check_end_user_changes(&fields(), &fresh, &after).is_ok(), "a write-once field is set once");
    }
}
