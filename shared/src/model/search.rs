//! What a user can be found by besides its unique values: the columns of Dynamic's user search
//! that no uniqueness claim answers (names, phone number, job title, OAuth account id) and the
//! custom fields the operator marks `searchable`. Each (column, search form) pair is an index
//! item written in the user's own transaction; the user item records the pairs it holds, so a
//! save removes exactly what it held, as with claims.

use super::claims::Claims;
use super::credentials::CredentialFormat;
use super::field_settings::FieldSettings;
use super::user::User;
use super::values::claim_form;
use serde_json::Value;

/// The pre-made columns indexed for search (email and username are found by their claims).
pub const SEARCH_COLUMNS: &[&str] = &["alias", "firstName", "lastName", "phoneNumber", "jobTitle"];
/// OAuth account ids, across providers.
pub const ACCOUNT_ID: &str = "accountId";
/// At most this many custom fields are searchable, so a user's save (its claims, its index
/// items, the user and its side items) always fits one transaction of 100 items.
pub const MAX_SEARCHABLE_CUSTOM: usize = 8;

/// The column a custom field is indexed under (apart from the pre-made names and `accountId`).
pub fn custom_column(field: &str) -> String {
    format!("meta:{field}")
}

/// The form a value is indexed and looked up in: case-insensitive, compatibility-normalised,
/// trimmed (Dynamic matches emails and names case-insensitively).
pub fn search_form(text: &str) -> String {
    claim_form(text.trim())
}

impl User {
    /// The (column, search form) pairs this user is found by under `fields`.
    pub fn search_entries(&self, fields: &FieldSettings) -> Claims {
        let mut pairs = Vec::new();
        for column in SEARCH_COLUMNS {
            if let Some(Value::String(text)) = self.profile.premade_value(column) {
                pairs.push((column.to_string(), search_form(&text)));
            }
        }
        for credential in self.credentials(CredentialFormat::Oauth) {
            if let Some(id) = &credential.oauth_account_id {
                pairs.push((ACCOUNT_ID.to_string(), search_form(id)));
            }
        }
        if let Some(metadata) = &self.profile.metadata {
            for field in fields.enabled_custom().filter(|f| f.spec.searchable) {
                if let Some(Value::String(text)) = metadata.get(field.name()) {
                    pairs.push((custom_column(field.name()), search_form(text)));
                }
            }
        }
        pairs.retain(|(_, value)| !value.is_empty());
        Claims::from_pairs(pairs)
    }

    /// What the item records as indexed (an item from before the index holds nothing).
    pub fn recorded_search_entries(&self) -> Claims {
        self.held_search_entries.clone().unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::field_spec::FieldSpec;
    use serde_json::json;

    #[test]
    fn entries_cover_names_accounts_and_searchable_custom_fields_only() {
        let specs: Vec<FieldSpec> = serde_json::from_value(json!([
            {"name": "squad", "type": "custom", "searchable": true},
            {"name": "secret", "type": "custom"},
            {"name": "off", "type": "custom", "searchable": true, "enabled": false}
        ]))
        .unwrap();
        let fields = FieldSettings::parse(specs).unwrap();
        let mut user: User = serde_json::from_value(json!({
            "id": uuid::Uuid::nil(), "projectEnvironmentId": uuid::Uuid::nil(),
            "firstName": "  Ada ", "lastName": "LOVELACE", "jobTitle": "Ｅngineer",
            "createdAt": "2026-01-01T00:00:00Z", "updatedAt": "2026-01-01T00:00:00Z",
            "metadata": {"squad": "Blue", "secret": "x", "off": "y"}
        }))
        .unwrap();
        user.verified_credentials = Vec::new();
        let entries = user.search_entries(&fields);
        assert_eq!(
            entries.iter().collect::<Vec<_>>(),
            [("firstName", "ada"), ("jobTitle", "engineer"), ("lastName", "lovelace"), ("meta:squad", "blue")]
        );
    }
}
