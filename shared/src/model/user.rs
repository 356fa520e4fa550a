//! A user as stored and as returned.

use super::claims::Claims;
use super::profile_fields::Profile;
use super::values::{Email, Timestamp};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

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
    /// Guards every write against lost updates. Storage only: never returned.
    #[serde(skip_serializing, default)]
    pub version: u64,
    /// The unique values this user's item records as held; `None` on items written before
    /// claims were recorded. Storage only: never returned.
    #[serde(rename = "claims", skip_serializing, default)]
    pub held_claims: Option<Claims>,
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
