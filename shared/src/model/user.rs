//! A user as stored and as returned.

use super::values::{CountryCode, Email, MfaBackupCodeAcknowledgement, Text, Timestamp, Username, Wallet};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use uuid::Uuid;

/// Every profile field a user can carry; `None` means "not provided".
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Profile {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<Email>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email_verified_at: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alias: Option<Text>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_name: Option<Text>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_name: Option<Text>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job_title: Option<Text>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone_number: Option<Text>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub t_shirt_size: Option<Text>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team: Option<Text>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<Username>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<CountryCode>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policies_consent: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Map<String, Value>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mfa_backup_code_acknowledgement: Option<MfaBackupCodeAcknowledgement>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub btc_wallet: Option<Wallet>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kda_wallet: Option<Wallet>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ltc_wallet: Option<Wallet>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ckb_wallet: Option<Wallet>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kas_wallet: Option<Wallet>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub doge_wallet: Option<Wallet>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email_notification: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub discord_notification: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub newsletter_notification: Option<bool>,
}

impl Profile {
    /// The value of a pre-made field by its configuration name, for the missing-fields check.
    pub fn standard_value(&self, name: &str) -> Option<Value> {
        let text = |v: &Option<Text>| v.as_ref().map(|t| Value::String(t.to_string()));
        match name {
            "email" => self.email.as_ref().map(|e| Value::String(e.to_string())),
            "username" => self.username.as_ref().map(|u| Value::String(u.to_string())),
            "country" => self.country.as_ref().map(|c| Value::String(c.to_string())),
            "policiesConsent" => self.policies_consent.map(Value::Bool),
            "alias" => text(&self.alias),
            "firstName" => text(&self.first_name),
            "lastName" => text(&self.last_name),
            "jobTitle" => text(&self.job_title),
            "phoneNumber" => text(&self.phone_number),
            "tShirtSize" => text(&self.t_shirt_size),
            "team" => text(&self.team),
            _ => None,
        }
    }
}

/// A verified credential; only emails are issued by this service.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Credential {
    pub id: Uuid,
    pub format: String,
    pub email: Email,
    pub public_identifier: String,
}

impl Credential {
    pub fn email(email: &Email) -> Self {
        Self {
            id: Uuid::new_v4(),
            format: "email".into(),
            email: email.clone(),
            public_identifier: email.to_string(),
        }
    }
}

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
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    #[serde(skip_serializing, default)]
    pub version: u64,
}

impl User {
    /// Makes `email` the user's verified email: sets `emailVerifiedAt` and replaces any earlier
    /// email credential, so a user has at most one.
    pub fn set_verified_email(&mut self, email: Email, at: Timestamp) {
        self.verified_credentials.retain(|c| c.format != "email");
        self.verified_credentials.push(Credential::email(&email));
        self.profile.email = Some(email);
        self.profile.email_verified_at = Some(at);
    }

    /// Keeps the address but no longer as verified: no `emailVerifiedAt`, no email credential.
    pub fn unverify_email(&mut self) {
        self.verified_credentials.retain(|c| c.format != "email");
        self.profile.email_verified_at = None;
    }

    pub fn clear_email(&mut self) {
        self.unverify_email();
        self.profile.email = None;
    }
}
