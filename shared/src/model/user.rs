//! A user as stored and as returned.

use super::actor::Actor;
use super::claims::Claims;
use super::credentials::{Credential, CredentialFormat, OAuthSpec, WalletSpec};
use super::field_settings::FieldSettings;
use super::profile_fields::Profile;
use super::values::{Email, Timestamp};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The stored user. `version` guards every write against lost updates and is never returned.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct User {
    pub id: Uuid,
    pub project_environment_id: Uuid,
    #[serde(flatten)]
    pub profile: Profile,
    #[serde(default)]
    pub verified_credentials: Vec<Credential>,
    /// The credential most recently added or verified.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_verified_credential_id: Option<Uuid>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    /// Guards every write against lost updates. Storage only: never returned.
    #[serde(skip_serializing, default)]
    pub version: u64,
    /// The unique values this user's item records as held; `None` on items written before
    /// claims were recorded. Storage only: never returned.
    #[serde(rename = "claims", skip_serializing, default)]
    pub held_claims: Option<Claims>,
    /// The search index entries this user's item records (`model::search`); `None` on items
    /// written before the index. Storage only: never returned.
    #[serde(rename = "searchIndex", skip_serializing, default)]
    pub held_search_entries: Option<Claims>,
    /// Sessions started before this are over: set when the record's address is newly proven,
    /// so whoever signed into it before loses it. Storage only: never returned.
    #[serde(skip_serializing, default)]
    pub sessions_valid_from: Option<Timestamp>,
    /// Who made the change this version records (for its event). Storage only: never returned.
    #[serde(skip_serializing, default)]
    pub changed_by: Option<Actor>,
}

impl User {
    /// A new user with nothing captured yet.
    pub fn new(id: Uuid, environment: Uuid, now: Timestamp) -> Self {
        Self {
            id,
            project_environment_id: environment,
            profile: Profile::default(),
            verified_credentials: Vec::new(),
            last_verified_credential_id: None,
            created_at: now,
            updated_at: now,
            version: 0,
            held_claims: None,
            held_search_entries: None,
            sessions_valid_from: None,
            changed_by: None,
        }
    }

    /// The unique values this user must hold under `fields`: its always-unique pre-made values,
    /// the values of enabled unique custom fields, and its wallets (per chain) and OAuth accounts
    /// (per provider).
    pub fn required_claims(&self, fields: &FieldSettings) -> Claims {
        let profile = &self.profile;
        let mut pairs: Vec<(String, String)> =
            profile.premade_claims().into_iter().map(|(field, value)| (field.to_string(), value)).collect();
        if let Some(metadata) = &profile.metadata {
            for field in fields.enabled_custom().filter(|f| f.is_unique()) {
                let value = metadata.get(field.name()).filter(|v| !v.is_null());
                if let Some(claim) = value.and_then(|v| field.claim_value(v)) {
                    pairs.push((field.name().to_string(), claim));
                }
            }
        }
        pairs.extend(self.verified_credentials.iter().filter_map(|c| c.claim()));
        Claims::from_pairs(pairs)
    }

    /// What the item records as held; an item from before claims were recorded holds what
    /// `fields` asks of it.
    pub fn recorded_claims(&self, fields: &FieldSettings) -> Claims {
        self.held_claims.clone().unwrap_or_else(|| self.required_claims(fields))
    }

    /// Makes `email` the user's verified email: sets `emailVerifiedAt` and replaces any earlier
    /// email credential (keeping its id when the address is the same), so a user has at most one.
    pub fn set_verified_email(&mut self, email: Email, at: Timestamp) {
        let same = self.credentials(CredentialFormat::Email).find(|c| c.email.as_ref().map(Email::normalized) == Some(email.normalized()));
        let mut credential = Credential::email(&email, at);
        if let Some(existing) = same {
            credential.id = existing.id;
        }
        self.last_verified_credential_id = Some(credential.id);
        self.verified_credentials.retain(|c| c.format != CredentialFormat::Email);
        self.verified_credentials.push(credential);
        self.profile.email = Some(email);
        self.profile.email_verified_at = Some(at);
    }

    /// Keeps the address but no longer as verified: no `emailVerifiedAt`, no email credential.
    pub fn unverify_email(&mut self) {
        self.verified_credentials.retain(|c| c.format != CredentialFormat::Email);
        self.profile.email_verified_at = None;
    }

    pub fn clear_email(&mut self) {
        self.unverify_email();
        self.profile.email = None;
    }

    pub fn credentials(&self, format: CredentialFormat) -> impl Iterator<Item = &Credential> {
        self.verified_credentials.iter().filter(move |c| c.format == format)
    }

    /// Replaces the user's wallets with `wallets`; one already held (same chain and address)
    /// keeps its id.
    pub fn replace_wallets(&mut self, wallets: &[WalletSpec], at: Timestamp) {
        let fresh = wallets.iter().map(|w| Credential::wallet(w, at)).collect();
        self.replace(CredentialFormat::Blockchain, fresh);
    }

    /// Replaces the user's OAuth accounts; one already held (same provider and account) keeps
    /// its id.
    pub fn replace_oauth_accounts(&mut self, accounts: &[OAuthSpec], at: Timestamp) {
        let fresh = accounts.iter().map(|a| Credential::oauth(a, at)).collect();
        self.replace(CredentialFormat::Oauth, fresh);
    }

    fn replace(&mut self, format: CredentialFormat, mut fresh: Vec<Credential>) {
        for credential in &mut fresh {
            if let Some(old) = self.credentials(format).find(|old| old.claim() == credential.claim()) {
                credential.id = old.id;
            }
        }
        if let Some(last) = fresh.last() {
            self.last_verified_credential_id = Some(last.id);
        }
        self.verified_credentials.retain(|c| c.format != format);
        self.verified_credentials.extend(fresh);
        // The most recent credential may have been one that was just removed.
        if !self.verified_credentials.iter().any(|c| Some(c.id) == self.last_verified_credential_id) {
            self.last_verified_credential_id =
                self.verified_credentials.iter().max_by_key(|c| c.verified_at).map(|c| c.id);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::field_spec::FieldSpec;
    use serde_json::json;

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
        let claims = user.required_claims(&fields);
        assert_eq!(claims.iter().collect::<Vec<_>>(), [("badge", "red 1")]);
    }
}
